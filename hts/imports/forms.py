"""The upload form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, RadioField
from wtforms.validators import InputRequired

EXTENSIONS = ["csv", "xlsx", "tsv", "txt"]


class ImportForm(FlaskForm):
    """What kind of file, the file, and whether only to check it."""

    kind = RadioField("What does the file contain?", choices=[],
                      validators=[InputRequired("Choose what the file contains")])
    file = FileField("Upload a file", validators=[
        FileRequired("Choose a CSV or Excel (.xlsx) file"),
        FileAllowed(EXTENSIONS, "The file must be a .csv or .xlsx file"),
    ])
    check_only = BooleanField("Check the file only, without saving anything")
