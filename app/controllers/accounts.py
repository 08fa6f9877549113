"""Sign-up, sign-in, password reset, profile and personal API tokens."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from piccolo.engine import engine_finder

from app.i18n import current_language
from app.i18n import gettext as _
from app.mail import OutboxMailer
from app.settings import Settings
from app.web.forms import (
    client_address,
    field_errors,
    form_data,
    redirect_with_flash,
    safe_next,
)
from app.web.guards import requires_login
from app.web.middleware import SESSION_COOKIE
from app.web.templating import page
from registry.accounts import service as accounts
from registry.db import write_transaction
from registry.errors import FieldError, InvalidInput, TooManyAttempts


def session_cookie(settings: Settings, token: str, *, max_age: int) -> Cookie:
    return Cookie(key=SESSION_COOKIE, value=token, max_age=max_age, path="/", httponly=True,
                  samesite="lax", secure=settings.secure_cookies)


class AccountPages(Controller):
    include_in_schema = False

    @get("/login", name="login")
    async def login_form(self, request: Request, next: FromQuery[str] = "") -> Template:
        return page("accounts/login.html", request, values={"next": next}, errors={})

    @post("/login")
    async def login(self, request: Request) -> Template | Redirect:
        settings = settings_of(request)
        data = await form_data(request)
        values = {"email": data.get("email", ""), "next": data.get("next", "")}
        try:
            user = await accounts.authenticate(
                data.get("email", ""), data.get("password", ""), client=client_address(request),
                per_account=settings.login_attempts_per_account,
                per_client=settings.login_attempts_per_client,
                window_seconds=settings.rate_limit_window_seconds)
        except TooManyAttempts as error:
            refused = page("accounts/login.html", request, status_code=429, values=values,
                           errors={"form": _(error.detail)})
            refused.headers["Retry-After"] = str(error.retry_after)
            return refused
        except InvalidInput as error:
            unverified = any(item.message == accounts.UNVERIFIED for item in error.errors)
            return page("accounts/login.html", request, status_code=422, values=values,
                        errors=field_errors(error), unverified=unverified)
        # A fresh session id at every login, whatever the browser had before (fixation).
        if old := request.cookies.get(SESSION_COOKIE):
            await accounts.end_session(old)
        token = await accounts.create_session(
            user.id, days=settings.session_days,
            user_agent=request.headers.get("user-agent", ""))
        response = redirect_with_flash(safe_next(values["next"]), "logged_in")
        response.cookies.append(session_cookie(settings, token,
                                               max_age=settings.session_days * 86400))
        return response

    @post("/logout")
    async def logout(self, request: Request) -> Redirect:
        settings = settings_of(request)
        if token := request.cookies.get(SESSION_COOKIE):
            await accounts.end_session(token)
        response = redirect_with_flash("/", "logged_out")
        response.cookies.append(session_cookie(settings, "", max_age=0))
        return response

    @get("/register")
    async def register_form(self, request: Request) -> Template:
        return page("accounts/register.html", request, values={}, errors={})

    @post("/register")
    async def register(self, request: Request) -> Template:
        settings, mailer = settings_of(request), mailer_of(request)
        data = await form_data(request)
        values = {k: data.get(k, "") for k in ("name", "email", "organisation")}
        try:
            # The account, its link and the mail carrying it are saved together, or not at all.
            async with write_transaction(engine_finder()):
                user = await accounts.create_user(
                    email=data.get("email", ""), name=data.get("name", ""),
                    password=data.get("password", ""), roles=["applicant"],
                    organisation=data.get("organisation", ""),
                    password_confirm=data.get("password_confirm", ""))
                await send_verification(settings, mailer, user, language=current_language.get())
        except InvalidInput as error:
            return page("accounts/register.html", request, status_code=422, values=values,
                        errors=in_form_order(field_errors(error), REGISTER_FIELDS))
        return page("accounts/check_email.html", request, email=user.email)

    @get("/verify")
    async def verify(self, request: Request, token: FromQuery[str] = "") -> Template | Redirect:
        try:
            await accounts.verify_email(token)
        except accounts.LinkAlreadyUsed as error:
            return page("accounts/link_invalid.html", request, status_code=200, message=_(error.detail),
                        already_verified=True)
        except InvalidInput as error:
            return page("accounts/link_invalid.html", request, status_code=400,
                        message=_(error.detail), already_verified=False)
        return redirect_with_flash("/login", "email_verified")

    @get("/verify/resend", name="verify_resend")
    async def resend_form(self, request: Request, email: FromQuery[str] = "") -> Template:
        return page("accounts/verify_resend.html", request, values={"email": email}, errors={},
                    sent=False)

    @post("/verify/resend")
    async def resend(self, request: Request) -> Template:
        """A new verification link; the same answer whether or not the address has an account."""
        settings, mailer = settings_of(request), mailer_of(request)
        data = await form_data(request)
        email = data.get("email", "")
        if not email.strip():
            return page("accounts/verify_resend.html", request, status_code=422, values={"email": ""},
                        errors={"email": _("L'adresse électronique est obligatoire.")}, sent=False)
        try:
            async with write_transaction(engine_finder()):
                found = await accounts.resend_verification(
                    email, client=client_address(request),
                    per_client=settings.login_attempts_per_client,
                    window_seconds=settings.rate_limit_window_seconds)
                if found:
                    user, token = found
                    await send_verification(settings, mailer, user, token=token,
                                            language=user.locale or current_language.get())
        except TooManyAttempts as error:
            refused = page("accounts/verify_resend.html", request, status_code=429,
                           values={"email": email}, errors={"form": _(error.detail)}, sent=False)
            refused.headers["Retry-After"] = str(error.retry_after)
            return refused
        return page("accounts/verify_resend.html", request, values={}, errors={}, sent=True)

    @get("/password/forgot")
    async def forgot_form(self, request: Request) -> Template:
        return page("accounts/forgot.html", request, values={}, errors={}, sent=False)

    @post("/password/forgot")
    async def forgot(self, request: Request) -> Template:
        settings, mailer = settings_of(request), mailer_of(request)
        data = await form_data(request)
        try:
            async with write_transaction(engine_finder()):
                found = await accounts.start_password_reset(
                    data.get("email", ""), client=client_address(request),
                    per_client=settings.login_attempts_per_client,
                    window_seconds=settings.rate_limit_window_seconds)
                if found:
                    user, token = found
                    await mailer.send(to=user.email, template="password_reset", language=user.locale,
                                      context={"name": user.name,
                                               "link": f"{settings.base_url}/password/reset?token={token}"},
                                      secret=True, object_type="user", object_id=user.id)
        except TooManyAttempts as error:
            refused = page("accounts/forgot.html", request, status_code=429,
                           values={"email": data.get("email", "")},
                           errors={"form": _(error.detail)}, sent=False)
            refused.headers["Retry-After"] = str(error.retry_after)
            return refused
        # The same answer whether or not the address has an account.
        return page("accounts/forgot.html", request, values={}, errors={}, sent=True)

    @get("/password/reset")
    async def reset_form(self, request: Request, token: FromQuery[str] = "") -> Template:
        return page("accounts/reset.html", request, token=token, errors={})

    @post("/password/reset")
    async def reset(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        token = data.get("token", "")
        try:
            if data.get("password", "") != data.get("password_confirm", ""):
                raise InvalidInput("", [FieldError("password_confirm", accounts.PASSWORDS_DIFFER)])
            await accounts.reset_password(token, data.get("password", ""))
        except InvalidInput as error:
            return page("accounts/reset.html", request, status_code=422, token=token,
                        errors=field_errors(error))
        return redirect_with_flash("/login", "password_reset")


class ProfilePages(Controller):
    path = "/account"
    guards = [requires_login]
    include_in_schema = False

    @get("/")
    async def profile(self, request: Request) -> Template:
        user = await accounts.User.objects().get(accounts.User.id == request.user.id)
        return page("accounts/profile.html", request, account=user, errors={})

    @post("/")
    async def save_profile(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        try:
            await accounts.update_profile(request.user.id, name=data.get("name", ""),
                                          organisation=data.get("organisation", ""),
                                          locale=data.get("locale", "fr"))
        except InvalidInput as error:
            user = await accounts.User.objects().get(accounts.User.id == request.user.id)
            user.name, user.organisation = data.get("name", ""), data.get("organisation", "")
            return page("accounts/profile.html", request, status_code=422, account=user,
                        errors=field_errors(error))
        return redirect_with_flash("/account", "profile_saved")

    @get("/tokens")
    async def tokens(self, request: Request) -> Template:
        return page("accounts/tokens.html", request,
                    tokens=await accounts.list_api_tokens(request.user.id), new_token=None,
                    errors={})

    @post("/tokens")
    async def create_token(self, request: Request) -> Template:
        data = await form_data(request)
        token = await accounts.create_api_token(request.user.id, name=data.get("name", ""),
                                                actor=request.user)
        return page("accounts/tokens.html", request, status_code=201,
                    tokens=await accounts.list_api_tokens(request.user.id), new_token=token,
                    errors={})

    @post("/tokens/{token_id:int}/revoke")
    async def revoke_token(self, request: Request, token_id: FromPath[int]) -> Redirect:
        await accounts.revoke_api_token(request.user.id, token_id, actor=request.user)
        return redirect_with_flash("/account/tokens", "token_revoked")


REGISTER_FIELDS = ("name", "email", "organisation", "password", "password_confirm")


def in_form_order(errors: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    """The error summary lists the fields in the order of the form."""
    rank = {name: index for index, name in enumerate(fields)}
    return dict(sorted(errors.items(), key=lambda item: rank.get(item[0], len(fields))))


async def send_verification(settings: Settings, mailer: OutboxMailer, user: accounts.User, *,
                            language: str, token: str | None = None) -> None:
    """Queues the verification mail (through the outbox, in the caller's transaction)."""
    token = token or await accounts.issue_email_token(user.id, purpose="verify", hours=48)
    await mailer.send(to=user.email, template="verify_email", language=language,
                      context={"name": user.name, "link": f"{settings.base_url}/verify?token={token}"},
                      secret=True, object_type="user", object_id=user.id)


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def mailer_of(request: Request) -> OutboxMailer:
    return request.app.state.mailer
