"""The pipeline's bookkeeping files under ``pipeline-state/`` in the training bucket, one module per file.

Each module owns its file's typed shape, its key, and its reading and writing through the
:class:`~basketball_assets.resources.storage.Storage` resource:

- :mod:`.plays`: ``games/{game_id}/plays.json``, written by ``game_plays``;
- :mod:`.clips`: ``games/{game_id}/clips.json``, written by ``game_clips``;
- :mod:`.training_data`: ``games/{game_id}/training_data.json``, written by ``game_training_data``;
- :mod:`.combined`: ``combined_dataset.json``, written by ``combined_dataset``.

These files are the project's own, kept apart from the spec's output layout
(:mod:`basketball_assets.core.layout`); the steps read each other's results only through them.
"""
