"""The desk's WTForms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from .labels import FINDINGS, GROUPS, KINDS, USER_ROLES

try:
    from wtforms.fields.choices import SelectChoice as choice  # type: ignore[attr-defined, unused-ignore]
except ImportError:  # WTForms before 3.3 takes (value, label) pairs

    def choice(value, label):
        return (value, label)


REQUIRED = _l("This field is required.")


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED), Length(max=1000)])


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[DataRequired(REQUIRED), Length(max=12)],
    )


def _role_field():
    return SelectField(
        _l("Role"),
        choices=[choice(k, v) for k, v in USER_ROLES.items()],
        default="officer",
        validators=[DataRequired(REQUIRED)],
    )


class UserInviteForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), Length(max=320)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = _role_field()


class RoleForm(FlaskForm):
    role = _role_field()


class AskForm(FlaskForm):
    """What a request asks: the fields a new request and a campaign share."""

    kind = SelectField(
        _l("Kind"),
        choices=[choice(k, v) for k, v in KINDS.items()],
        validators=[DataRequired(REQUIRED)],
    )
    instrument = SelectField(_l("Instrument"), validators=[Optional()])
    cycle = StringField(_l("Reporting cycle"), validators=[Optional(), Length(max=64)])
    subject = StringField(_l("Subject"), validators=[Optional(), Length(max=300)])
    due_date = DateField(_l("Deadline"), validators=[DataRequired(REQUIRED)])


class NewRequestForm(AskForm):
    state = SelectField(_l("State"), validators=[DataRequired(REQUIRED)])


class SimulatedReplyForm(FlaskForm):
    text = TextAreaField(
        _l("What the focal point writes"), validators=[DataRequired(REQUIRED), Length(max=20000)]
    )


class DirectoryUserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), Length(max=320)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])


class ResourceForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=300)])
    url = StringField(_l("Link"), validators=[DataRequired(REQUIRED), Length(max=1000)])


class CampaignForm(AskForm):
    parties_to = SelectField(_l("States parties to"), validators=[Optional()])
    group = SelectField(
        _l("Regional group"),
        choices=[choice("", "—")] + [choice(k, v) for k, v in GROUPS.items()],
        validators=[Optional()],
    )
    states = StringField(
        _l("These States only (ISO codes, comma-separated)"),
        validators=[Optional(), Length(max=2000)],
    )
    include_open = BooleanField(_l("Also write to the States that already have an open request"))


class TagForm(FlaskForm):
    provision = StringField(_l("Provision"), validators=[DataRequired(REQUIRED), Length(max=100)])
    finding = SelectField(
        _l("What the answer shows"),
        choices=[choice(k, v) for k, v in FINDINGS.items()],
        validators=[DataRequired(REQUIRED)],
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=1000)])
