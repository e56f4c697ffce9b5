"""The import's own records: the code maps operations keep (``imports.code_maps``) and the
extract uploads made in the browser (``imports.uploads``)."""

from imports.code_maps import CodeMap  # noqa: F401
from imports.uploads import ExtractUpload, ExtractUploadError, ExtractUploadFile  # noqa: F401
