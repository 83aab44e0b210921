"""The form that starts an optimisation."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, NumberRange, Optional

DAYS = [("0", "Monday"), ("1", "Tuesday"), ("2", "Wednesday"), ("3", "Thursday"), ("4", "Friday")]


class PlanForm(FlaskForm):
    """Session, weekday, schools and time budget of a new draft plan."""

    session = RadioField("Session", choices=[("am", "Morning (to school)"), ("pm", "Afternoon (home)")],
                         validators=[DataRequired("Choose the morning or the afternoon")])
    weekday = SelectField("Day", choices=DAYS, default="0")
    schools = StringField("Schools (URNs, separated by commas; leave blank for every school)",
                          validators=[Optional()])
    time_limit = IntegerField("Time to spend optimising (seconds)", default=60,
                              validators=[DataRequired("Enter a number of seconds"),
                                          NumberRange(10, 1800, "Enter between 10 and 1,800 seconds")])
