"""The desk's blueprint, shared by its view modules."""

from flask import Blueprint

bp = Blueprint("desk", __name__, url_prefix="/desk")
