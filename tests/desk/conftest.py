from tests.forms.helpers import csrf_web, web, web_client  # noqa: F401
