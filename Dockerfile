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
USER nobody
