"""basketball-assets: basketball game videos to a Gemini tuning dataset, as Dagster assets."""
