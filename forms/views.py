from flask import Blueprint

bp = Blueprint("forms", __name__, url_prefix="/f")
