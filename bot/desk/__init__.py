"""The secretariat's desk: log-in and the dashboard."""

from flask import Blueprint, Flask

bp = Blueprint("desk", __name__, url_prefix="/desk")


@bp.get("/")
def home():
    return "desk"


def init_desk(app: Flask) -> None:
    app.register_blueprint(bp)
