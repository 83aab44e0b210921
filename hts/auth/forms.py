"""Sign-in and account forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from hts.auth.models import ROLE_LABELS


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email address", validators=[DataRequired("Enter your email address")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password")])


class UserForm(FlaskForm):
    """A new account."""

    name = StringField("Full name", validators=[DataRequired("Enter the person's name"), Length(max=200)])
    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter an email address"), Email("Enter an email address like name@council.gov.uk")],
    )
    role = SelectField("Role", choices=[(r.value, label) for r, label in ROLE_LABELS.items()])
    operator_ref = StringField("Operator reference (operator accounts only)")
    password = PasswordField("Password", validators=[DataRequired("Enter a password")])
