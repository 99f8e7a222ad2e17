"""The Flask application: web forms, the secretariat's desk, and the context
that mail rendering, sending and Celery tasks run in."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import Any

from flask import Flask, g, redirect, request, url_for
from flask_babel import Babel
from flask_compress import Compress
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from forms import csrf as form_csrf
from forms.links import bp as form_links_bp
from forms.views import bp as forms_bp

from . import LANGUAGES, TEMPLATES_DIR, TRANSLATIONS_DIR, audit, db, folders, logs, weblog
from . import config as configuration
from .api import init_api
from .desk import init_desk
from .directory.web import bp as directory_bp
from .health import bp as health_bp
from .i18n import direction, language_name, normalise_language, select_locale
from .links import LINK_LENGTH
from .urls import local_target

babel = Babel()
csrf = CSRFProtect()
compress = Compress()


def create_app(
    settings: configuration.Settings | None = None,
    *,
    production_check: bool = True,
    **overrides: Any,
) -> Flask:
    """The application. In production mode (``FOCALBOT_ENV=production``) it refuses, with a
    ConfigError naming every problem, to run with a weak or generated secret key, a generated
    audit key or mail without TLS; ``production_check=False`` is for the commands that only
    maintain the database (``db upgrade``, ``backup``...)."""
    settings = settings or configuration.load()
    if production_check:
        configuration.refuse_unsafe_production(settings, os.environ)
    secure = settings.public_url.startswith("https://")  # behind TLS
    app = Flask("focalbot", template_folder=str(TEMPLATES_DIR), static_folder=None)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        FOCALBOT=settings,
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS_DIR),
        BABEL_DEFAULT_LOCALE="en",
        WTF_CSRF_TIME_LIMIT=int(timedelta(hours=24).total_seconds()),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=12 * 1024 * 1024,  # a form page with its files (10 MB each at most)
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        # Pages go out compressed (brotli, else gzip) to browsers that ask for it.
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_MIMETYPES=["text/html", "text/css", "text/plain"],
        COMPRESS_MIN_SIZE=500,
        COMPRESS_BR_LEVEL=5,
    )
    app.config.update(overrides)
    if settings.proxy_hops:  # the client's address and scheme, as the trusted proxies saw them
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops
        )
    # each request's id in its log lines and in the response's X-Request-ID
    app.wsgi_app = logs.RequestIds(app.wsgi_app)  # type: ignore[method-assign]
    logs.configure(settings.log_level, settings.log_format, kind="request")
    weblog.install()  # no form token in the request log
    weblog.install(app.logger.name)  # nor in the line that logs a failed request's path
    if len(settings.public_url) + len("/f/") + LINK_LENGTH > 60:
        logging.getLogger(__name__).warning(
            "PUBLIC_URL %s is longer than 40 characters: form links will not fit a line of 60",
            settings.public_url,
        )
    logging.getLogger("alembic").setLevel(
        max(logging.WARNING, logging.getLevelName(settings.log_level))
    )
    db.init(settings.database_url)
    audit.use_key(settings.audit_key)
    from .outbound import outbox  # the sender's retry wait in this process

    outbox.retry_after(settings.send_retry_seconds)
    try:
        folders.ensure_folders(settings)
    except folders.FolderError as exc:  # the mailbox poll reports it on the desk as a Problem
        logging.getLogger(__name__).error("%s", exc)

    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    compress.init_app(app)
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES, text_direction=direction, language_name=language_name
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    app.register_blueprint(forms_bp)
    app.register_blueprint(form_links_bp)
    for bp in (forms_bp, form_links_bp):  # their POSTs carry link-bound tokens (forms.csrf)
        csrf.exempt(bp)
    app.jinja_env.globals["form_csrf_field"] = form_csrf.field
    app.register_blueprint(directory_bp)
    app.register_blueprint(health_bp)
    init_desk(app)
    init_api(app, csrf)

    @app.teardown_request
    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        s = g.pop("db", None)
        if s is not None:
            s.close()

    @app.after_request
    def _security_headers(resp):
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        )
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault(
            "Referrer-Policy", "same-origin"
        )  # Flask-WTF checks the Referer of POSTs over HTTPS
        return resp

    @app.get("/")
    def index():
        return redirect(url_for("desk.home"))

    @app.get("/lang/<code>")
    def set_language(code: str):
        lang = normalise_language(code) or "en"
        target = local_target(request.args.get("next"), "/")
        resp = redirect(target)
        resp.set_cookie(
            "lang", lang, max_age=365 * 86400, samesite="Lax", httponly=True, secure=secure
        )
        return resp

    return app
