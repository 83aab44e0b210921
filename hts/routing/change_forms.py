"""Forms of route change control: a request's details, and a rejection's reason."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class ChangeDetailsForm(FlaskForm):
    """What a change is, why, who asked for it and the day it takes effect."""

    title = StringField("What is changing", validators=[
        DataRequired("Enter what is changing, for example 'Move pupil P01234 to route R-104'"),
        Length(max=200, message="Keep the title to 200 characters or fewer")])
    reason = TextAreaField("Why", validators=[Optional(), Length(max=4000, message="Keep the reason to 4,000 characters or fewer")])
    requested_by = StringField("Who asked for it", validators=[
        Optional(), Length(max=200, message="Keep this to 200 characters or fewer")])
    effective_date = DateField("Takes effect on", validators=[
        DataRequired("Enter the date the change takes effect, for example 2026-12-07")])
    route_id = IntegerField(validators=[Optional()])
    action = HiddenField(default="modify")
    lock_version = IntegerField(validators=[Optional()])


class RejectForm(FlaskForm):
    """Why an approver sends a change back."""

    rejection_reason = TextAreaField("Reason for rejecting", validators=[
        DataRequired("Enter the reason for rejecting the change, so the planner can act on it"),
        Length(max=4000, message="Keep the reason to 4,000 characters or fewer")])


class StepForm(FlaskForm):
    """A step with no fields: submit, recall, approve, publish, discard (CSRF and the lock version)."""

    lock_version = IntegerField(validators=[Optional()])
