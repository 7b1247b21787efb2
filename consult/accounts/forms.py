"""Login form, and the admins' form to create a staff account."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from consult.accounts.models import Role


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class CreateAccountForm(FlaskForm):
    """Only presence, length and the repeated password are checked here; the rules on e-mail,
    password length, role and duplicates are ``services.create_user``'s (as for the command)."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Length(max=200)])
    role = SelectField(
        _l("Role"), choices=[SelectChoice(r.value, r.value) for r in Role], validate_choice=False
    )
    password = PasswordField(_l("First password"), validators=[DataRequired(), Length(max=200)])
    password_again = PasswordField(
        _l("First password, again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )
