"""Pure pipeline logic: no I/O, no Dagster, no ffmpeg.

Everything here is a decision the pipeline makes about plays, time spans, splits and
training examples. Keeping it pure lets the rules of the contract, ``docs/contract.md``
at the repository's root, be unit-tested in milliseconds.
"""
