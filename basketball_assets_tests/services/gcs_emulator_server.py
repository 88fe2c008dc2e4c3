"""``gcp-storage-emulator`` with GCS's "create only if absent" upload precondition.

Real GCS refuses an upload with ``ifGenerationMatch=0`` when a live object has that name
(412 Precondition Failed): that is how the pipeline claims a tuning job exclusively. The
emulator ignores the parameter, so this entry point adds it to the emulator's upload
handler, and otherwise runs the emulator unchanged (same command-line arguments).
"""

import sys
from http import HTTPStatus

from gcp_storage_emulator import server
from gcp_storage_emulator.__main__ import main
from gcp_storage_emulator.exceptions import NotFound
from gcp_storage_emulator.handlers import objects

_insert = objects.insert


def object_name(request) -> str | None:
    """The object an upload request names: in the query, or in the metadata of a multipart or resumable upload."""
    if "name" in request.query:
        return request.query["name"][0]
    data = request.data if isinstance(request.data, dict) else {}
    meta = data.get("meta") if isinstance(data.get("meta"), dict) else data
    return meta.get("name")


def insert(request, response, storage, *args, **kwargs):
    """The emulator's upload, refused with 412 when ``ifGenerationMatch=0`` and the object exists."""
    name = object_name(request)
    if request.query.get("ifGenerationMatch") == ["0"] and name:
        try:
            storage.get_file_obj(request.params["bucket_name"], name)
        except NotFound:
            pass
        else:
            response.status = HTTPStatus.PRECONDITION_FAILED
            error = {"code": 412, "message": "At least one of the pre-conditions you specified did not hold."}
            response.json({"error": error})
            return None
    return _insert(request, response, storage, *args, **kwargs)


objects.insert = insert
server.HANDLERS = tuple(
    (pattern, {method: insert if handler is _insert else handler for method, handler in handlers.items()})
    for pattern, handlers in server.HANDLERS
)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
