"""The games: one dynamic partition per game id, added by the demo, the sensor or the UI."""

from dagster import DynamicPartitionsDefinition

games_partitions = DynamicPartitionsDefinition(name="games")
