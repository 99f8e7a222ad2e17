FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md alembic.ini babel.cfg ./
COPY bot bot
COPY forms forms
COPY tasks tasks
COPY templates templates
COPY translations translations
RUN pip install --no-cache-dir -e . && pybabel compile -q -d translations -D messages
ENV FOCALBOT_VAR=/var/lib/focalbot
# the volume mounted here takes this owner: the keys and the attachment store, for nobody
RUN mkdir -p /var/lib/focalbot && chown nobody /var/lib/focalbot
USER nobody
