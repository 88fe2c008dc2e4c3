"""``tuned_model``: a Gemini model tuned on the combined dataset by a Vertex AI tuning job."""


from dagster import AssetExecutionContext, Failure, MaterializeResult, asset

from basketball_assets.assets.dataset import combined_dataset, read_combined_dataset
from basketball_assets.assets.policies import DATASET_GROUP
from basketball_assets.resources.storage import Storage
from basketball_assets.resources.vertex import VertexTuning


@asset(deps=[combined_dataset], group_name=DATASET_GROUP, kinds={"vertexai", "gemini"})
def tuned_model(context: AssetExecutionContext, vertex: VertexTuning, storage: Storage) -> MaterializeResult:
    """A Gemini model tuned on the latest combined dataset by a Vertex AI supervised
    tuning job. Materialized only on request: a tuning job costs money and hours.
    """
    missing = vertex.missing_settings()
    dataset = read_combined_dataset(storage)
    if dataset is None:
        missing.append("a materialized combined_dataset")
    elif not storage.uri(dataset["files"]["training"]).startswith("gs://"):
        missing.append("GCS storage (BASKETBALL_GCP_PROJECT): Vertex AI reads datasets from gs:// URIs only, not the local default")
    if missing:
        raise Failure("tuned_model cannot start a Vertex AI tuning job; it needs: " + "; ".join(missing), allow_retries=False)
    raise Failure("Vertex AI tuning is not wired in this build yet", allow_retries=False)
