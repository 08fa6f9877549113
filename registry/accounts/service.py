"""Accounts: users and roles, sessions, API tokens and one-time email links."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

from registry.accounts import ratelimit
from registry.accounts.passwords import (
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from registry.accounts.permissions import Actor
from registry.accounts.tables import ROLES, ApiToken, EmailToken, Session, User, UserRole
from registry.audit.log import record_event
from registry.errors import FieldError, InvalidInput, NotFound, TooManyAttempts, invalid

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOKEN_PREFIX = "ami_"  # noqa: S105 - a public prefix, not a secret
# Same cost whether or not the account exists, so timing does not reveal it.
_DUMMY_HASH = hash_password("not-a-real-password-used-for-timing-only")


def _now() -> datetime:
    return datetime.now(UTC)


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str) -> str:
    email = normalise_email(email)
    if not email:
        raise invalid("email", "L'adresse électronique est obligatoire.")
    if len(email) > 320 or not EMAIL_RE.match(email):
        raise invalid("email", "Cette adresse électronique n'est pas valide.")
    return email


def check_roles(roles: list[str] | tuple[str, ...] | set[str]) -> list[str]:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise invalid("roles", f"Rôle inconnu : {', '.join(unknown)} (attendus : {', '.join(ROLES)}).")
    return [role for role in ROLES if role in roles]


async def roles_of(user_id: int) -> frozenset[str]:
    rows = await UserRole.select(UserRole.role).where(UserRole.user == user_id)
    return frozenset(row["role"] for row in rows)


async def actor_for(user: User, *, via_token: bool = False) -> Actor:
    return Actor(id=user.id, email=user.email, name=user.name, roles=await roles_of(user.id),
                 locale=user.locale, via_token=via_token)


async def create_user(*, email: str, name: str, password: str | None, roles: list[str],
                      verified: bool = False, organisation: str = "",
                      actor: Actor | None = None) -> User:
    errors: list[FieldError] = []
    try:
        email = check_email(email)
    except InvalidInput as error:
        errors += error.errors
    name = name.strip()
    if not name:
        errors.append(FieldError("name", "Le nom est obligatoire."))
    elif len(name) > 200:
        errors.append(FieldError("name", "Le nom est trop long (200 caractères au plus)."))
    if password is not None and (problem := password_problem(password)):
        errors.append(FieldError("password", problem))
    try:
        roles = check_roles(roles)
    except InvalidInput as error:
        errors += error.errors
    if not errors and await User.exists().where(User.email == email):
        errors.append(FieldError("email", "Un compte existe déjà avec cette adresse."))
    if errors:
        raise InvalidInput("Le compte n'a pas pu être créé.", errors)
    user = User(email=email, name=name, organisation=organisation.strip(),
                password_hash=hash_password(password) if password else "",
                email_verified_at=_now() if verified else None)
    await user.save()
    for role in roles:
        await UserRole.insert(UserRole(user=user.id, role=role))
    await record_event("user.created", actor_id=actor.id if actor else None,
                       actor=actor.email if actor else email, object_type="user",
                       object_id=user.id, data={"email": email, "roles": roles})
    return user


async def set_roles(user_id: int, roles: list[str], *, actor: Actor | None) -> list[str]:
    user = await User.objects().get(User.id == user_id)
    if user is None:
        raise NotFound("Utilisateur introuvable.")
    wanted = check_roles(roles)
    before = sorted(await roles_of(user_id))
    await UserRole.delete().where(UserRole.user == user_id)
    for role in wanted:
        await UserRole.insert(UserRole(user=user_id, role=role))
    if sorted(wanted) != before:
        await record_event("user.roles_changed", actor_id=actor.id if actor else None,
                           actor=actor.email if actor else "system", object_type="user",
                           object_id=user_id,
                           data={"email": user.email, "before": before, "after": sorted(wanted)})
    return wanted


async def authenticate(email: str, password: str, *, client: str, per_account: int,
                       per_client: int, window_seconds: int) -> User:
    """The user these credentials belong to; counts failures per account and per client."""
    email = normalise_email(email)
    account_key, client_key = f"login:account:{email}", f"login:client:{client}"
    if (await ratelimit.count_hits(account_key, window_seconds=window_seconds) >= per_account
            or await ratelimit.count_hits(client_key, window_seconds=window_seconds) >= per_client):
        error = TooManyAttempts(
            "Trop de tentatives de connexion. Réessayez dans quelques minutes.")
        error.retry_after = window_seconds
        raise error
    user = await User.objects().get(User.email == email) if email else None
    valid = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if not user or not valid or not user.is_active:
        await ratelimit.add_hit(account_key)
        await ratelimit.add_hit(client_key)
        raise InvalidInput("Adresse électronique ou mot de passe incorrect.",
                           [FieldError("password", "Adresse électronique ou mot de passe incorrect.")])
    if user.email_verified_at is None:
        raise invalid("email", "Confirmez d'abord votre adresse : suivez le lien reçu par courriel.")
    await ratelimit.clear_hits(account_key)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        await user.save([User.password_hash])
    await record_event("user.login", actor_id=user.id, actor=user.email, object_type="user",
                       object_id=user.id, data={"client": client})
    return user


async def update_profile(user_id: int, *, name: str, organisation: str, locale: str) -> User:
    user = await User.objects().get(User.id == user_id)
    if user is None:
        raise NotFound("Utilisateur introuvable.")
    name = name.strip()
    errors = []
    if not name:
        errors.append(FieldError("name", "Le nom est obligatoire."))
    if locale not in {"fr", "en"}:
        errors.append(FieldError("locale", "Langue inconnue (fr ou en)."))
    if errors:
        raise InvalidInput("Le profil n'a pas été enregistré.", errors)
    user.name, user.organisation, user.locale = name, organisation.strip()[:300], locale
    await user.save([User.name, User.organisation, User.locale])
    return user


# Sessions ---------------------------------------------------------------------------------


async def create_session(user_id: int, *, days: int, user_agent: str = "") -> str:
    token = secrets.token_urlsafe(32)
    await Session.insert(Session(token_hash=_sha256(token), user=user_id,
                                 expires_at=_now() + timedelta(days=days),
                                 user_agent=user_agent[:300]))
    return token


async def user_for_session(token: str) -> User | None:
    if not token:
        return None
    row = await Session.select(Session.user, Session.expires_at).where(
        Session.token_hash == _sha256(token)).first()
    if row is None or row["user"] is None or row["expires_at"] <= _now():
        return None
    user = await User.objects().get(User.id == row["user"])
    return user if user and user.is_active else None


async def end_session(token: str) -> None:
    await Session.delete().where(Session.token_hash == _sha256(token))


async def end_all_sessions(user_id: int) -> None:
    await Session.delete().where(Session.user == user_id)


async def purge_expired_sessions() -> None:
    await Session.delete().where(Session.expires_at < _now())


# API tokens -------------------------------------------------------------------------------


async def create_api_token(user_id: int, *, name: str, actor: Actor | None = None) -> str:
    """A new token, returned once in clear; only its hash is stored."""
    name = name.strip() or "jeton"
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    await ApiToken.insert(ApiToken(user=user_id, name=name[:100], prefix=token[:10],
                                   token_hash=_sha256(token)))
    await record_event("token.created", actor_id=actor.id if actor else user_id,
                       actor=actor.email if actor else "", object_type="user", object_id=user_id,
                       data={"name": name, "prefix": token[:10]})
    return token


async def user_for_api_token(token: str) -> User | None:
    row = await ApiToken.select(ApiToken.id, ApiToken.user, ApiToken.revoked_at, ApiToken.last_used_at).where(
        ApiToken.token_hash == _sha256(token)).first()
    if row is None or row["revoked_at"] is not None:
        return None
    user = await User.objects().get(User.id == row["user"])
    if user is None or not user.is_active:
        return None
    now = _now()
    # A write per API call would serialise every client on SQLite; a minute's precision is enough.
    if row["last_used_at"] is None or now - row["last_used_at"] > timedelta(minutes=1):
        await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == row["id"])
    return user


async def list_api_tokens(user_id: int) -> list[dict]:
    return await ApiToken.select(
        ApiToken.id, ApiToken.name, ApiToken.prefix, ApiToken.created_at,
        ApiToken.last_used_at, ApiToken.revoked_at,
    ).where(ApiToken.user == user_id).order_by(ApiToken.id, ascending=False)


async def revoke_api_token(user_id: int, token_id: int, *, actor: Actor) -> None:
    row = await ApiToken.select(ApiToken.id, ApiToken.revoked_at).where(
        (ApiToken.id == token_id) & (ApiToken.user == user_id)).first()
    if row is None:
        raise NotFound("Jeton introuvable.")
    if row["revoked_at"] is None:
        await ApiToken.update({ApiToken.revoked_at: _now()}).where(ApiToken.id == token_id)
        await record_event("token.revoked", actor_id=actor.id, actor=actor.email,
                           object_type="user", object_id=user_id, data={"token_id": token_id})


# One-time email links ---------------------------------------------------------------------


async def issue_email_token(user_id: int, *, purpose: str, hours: int) -> str:
    token = secrets.token_urlsafe(32)
    await EmailToken.insert(EmailToken(user=user_id, purpose=purpose, token_hash=_sha256(token),
                                       expires_at=_now() + timedelta(hours=hours)))
    return token


async def _consume_email_token(token: str, *, purpose: str) -> User:
    row = await EmailToken.select().where(
        (EmailToken.token_hash == _sha256(token)) & (EmailToken.purpose == purpose)).first()
    if row is None or row["used_at"] is not None or row["expires_at"] <= _now():
        raise invalid("token", "Ce lien n'est pas valide ou a expiré. Demandez-en un nouveau.")
    await EmailToken.update({EmailToken.used_at: _now()}).where(EmailToken.id == row["id"])
    user = await User.objects().get(User.id == row["user"])
    if user is None:
        raise invalid("token", "Ce lien n'est pas valide ou a expiré. Demandez-en un nouveau.")
    return user


async def verify_email(token: str) -> User:
    user = await _consume_email_token(token, purpose="verify")
    if user.email_verified_at is None:
        user.email_verified_at = _now()
        await user.save([User.email_verified_at])
        await record_event("user.email_verified", actor_id=user.id, actor=user.email,
                           object_type="user", object_id=user.id)
    return user


async def start_password_reset(email: str, *, client: str, per_client: int,
                               window_seconds: int) -> tuple[User, str] | None:
    """A reset token for this address, or None when no such account (the page says the same)."""
    key = f"reset:client:{client}"
    if await ratelimit.count_hits(key, window_seconds=window_seconds) >= per_client:
        raise TooManyAttempts("Trop de demandes de réinitialisation. Réessayez plus tard.")
    await ratelimit.add_hit(key)
    email = normalise_email(email)
    account_key = f"reset:account:{email}"
    if await ratelimit.count_hits(account_key, window_seconds=window_seconds) >= 3:
        return None
    await ratelimit.add_hit(account_key)
    user = await User.objects().get(User.email == email)
    if user is None or not user.is_active:
        return None
    return user, await issue_email_token(user.id, purpose="reset", hours=2)


async def reset_password(token: str, new_password: str) -> User:
    if problem := password_problem(new_password):
        raise invalid("password", problem)
    user = await _consume_email_token(token, purpose="reset")
    user.password_hash = hash_password(new_password)
    # Following a reset link proves the address too.
    user.email_verified_at = user.email_verified_at or _now()
    await user.save([User.password_hash, User.email_verified_at])
    await end_all_sessions(user.id)
    await record_event("user.password_reset", actor_id=user.id, actor=user.email,
                       object_type="user", object_id=user.id)
    return user


async def list_users() -> list[dict]:
    users = await User.select(User.id, User.email, User.name, User.organisation,
                              User.email_verified_at, User.is_active).order_by(User.email)
    roles = await UserRole.select(UserRole.user, UserRole.role)
    by_user: dict[int, list[str]] = {}
    for row in roles:
        by_user.setdefault(row["user"], []).append(row["role"])
    for user in users:
        user["roles"] = [r for r in ROLES if r in by_user.get(user["id"], [])]
    return users
