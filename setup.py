from setuptools import find_packages, setup

# Dagster's distributed deployment (deploy/): Postgres instance storage, a run per pod.
DEPLOY = ["dagster-postgres==0.29.27", "dagster-k8s==0.29.27"]

setup(
    name="basketball_assets",
    version="0.1.0",
    description="Basketball game videos to a Gemini tuning dataset and a tuned model, as Dagster assets.",
    packages=find_packages(exclude=["basketball_assets_tests*", "benchmarks*"]),
    python_requires=">=3.11,<3.13",
    install_requires=[
        # dagster-gcp 0.29.N requires dagster 1.13.N exactly; 1.13.27 is the newest
        # consistent pair (with dagster 1.13.28 pip falls back to a 2021 dagster-gcp).
        "dagster==1.13.27",
        "dagster-webserver==1.13.27",
        "dagster-gcp==0.29.27",
        # Slack alerts (alerts.py): SlackResource and slack_sdk's WebClient, pinned like dagster-gcp.
        "dagster-slack==0.29.27",
        # dagster-postgres breaks on NOTIFY with SQLAlchemy 2.1.
        "sqlalchemy>=2.0,<2.1",
        "google-cloud-aiplatform>=1.70,<3",
        "supabase>=2.10,<3",
        "ffmpeg-python>=0.2,<0.3",
        # Ships an ffmpeg binary with libx264 and aac, so nothing is installed by hand.
        "imageio-ffmpeg>=0.6,<0.9",
        # FFmpeg's libraries for probing (imageio-ffmpeg has no ffprobe).
        "av>=14,<20",
        # model_evaluation: metrics from well-kept libraries, the paired bootstrap, the report's plot.
        "rouge-score>=0.1.2,<0.2",
        "sacrebleu>=2.4,<3",
        "numpy>=1.26,<3",
        "matplotlib>=3.8,<4",
    ],
    extras_require={
        "deploy": DEPLOY,
        # The tests check deploy/'s instance config and run on a Postgres instance.
        "dev": [
            *DEPLOY,
            "pytest>=8,<10",
            # House rules: scripts/test.sh runs `ruff check` and `ruff format --check` (ruff.toml).
            "ruff>=0.17,<0.18",
            "pytest-timeout>=2.3,<3",
            # scripts/test.sh runs the suite on every core (two here), a whole file per worker.
            "pytest-xdist>=3.8,<4",  # 3.8 has --no-loadscope-reorder (scripts/test.sh)
            "hypothesis>=6.100,<7",
            "numpy>=1.26,<3",
            # The real PostgreSQL (16, binaries in the wheel) that the Supabase tests start,
            # and the driver that loads it (the same one dagster-postgres uses).
            "pgserver>=0.1.4,<0.2",
            "psycopg2-binary>=2.9.9,<3",
            # The GCS-protocol server the GCS storage tests start on 127.0.0.1 (pure Python;
            # 2026.7 serves what google-cloud-storage 3.x asks for: custom metadata, ranges).
            "gcp-storage-emulator>=2026.7,<2027",
            # Drives Debian's Chromium (scripts/install_chromium.sh) for the browser test and
            # scripts/screenshots.py; the wheel brings its driver, no browser is downloaded.
            "playwright>=1.50,<2",
        ],
    },
)
