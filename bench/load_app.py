"""The app as gunicorn serves it in ``form_load.py``, with a one-line route as the baseline."""

from __future__ import annotations

from bot.wsgi import app


@app.route("/bench/ping")
def ping() -> str:
    return "ok"
