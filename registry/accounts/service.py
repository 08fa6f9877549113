"""Accounts: users and roles, sessions, API tokens and one-time email links."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from email_validator import EmailNotValidError, validate_email

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
from registry.db import write_transaction
from registry.errors import N_, FieldError, InvalidInput, NotFound, TooManyAttempts, invalid

TOKEN_PREFIX = "ami_"  # noqa: S105 - a public prefix, not a secret
# Same cost whether or not the account exists, so timing does not reveal it.
_DUMMY_HASH = hash_password("not-a-real-password-used-for-timing-only")



PASSWORDS_DIFFER = N_("Les deux mots de passe ne sont pas identiques.")
UNVERIFIED = N_("Confirmez d'abord votre adresse : suivez le lien reçu par courriel.")
LINK_ALREADY_USED = N_("Ce lien a déjà été utilisé : votre adresse est vérifiée, vous pouvez vous connecter.")


class LinkAlreadyUsed(InvalidInput):
    """A verification link followed twice, on an account whose address is verified."""


def _now() -> datetime:
    return datetime.now(UTC)


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _validated(email: str) -> str | None:
    """The address in normal form (email-validator's, then lower-cased whole, as every lookup is),
    or None when it is not one plain address."""
    try:
        result = validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return None
    return result.normalized.lower()


def normalise_email(email: str) -> str:
    """The form addresses are stored and looked up in."""
    email = email.strip()
    return _validated(email) or email.lower()


def check_email(email: str) -> str:
    """One plain address (no display name, angle brackets or list), in its stored form."""
    email = email.strip()
    if not email:
        raise invalid("email", "L'adresse électronique est obligatoire.")
    if any(char in email for char in '<>,;"') or email.count("@") > 1 or any(c.isspace() for c in email):
        raise invalid("email", "Saisissez une seule adresse électronique, sans nom ni chevrons "
                               "(par exemple : nom@exemple.fr).")
    address = _validated(email)
    if address is None or len(address) > 320:
        raise invalid("email", "Cette adresse électronique n'est pas valide.")
    return address


def check_roles(roles: list[str] | tuple[str, ...] | set[str]) -> list[str]:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise invalid("roles", f"Rôle inconnu : {', '.join(unknown)} (attendus : {', '.join(ROLES)}).")
    return [role for role in ROLES if role in roles]


async def roles_of(user_id: int) -> frozenset[str]:
    rows = await UserRole.select(UserRole.role).where(UserRole.user == user_id)
    return frozenset(row["role"] for row in rows)


async def actor_for(user: User, *, token_id: int | None = None) -> Actor:
    return Actor(id=user.id, email=user.email, name=user.name, roles=await roles_of(user.id),
                 locale=user.locale, via_token=token_id is not None, token_id=token_id)


async def create_user(*, email: str, name: str, password: str | None, roles: list[str],
                      verified: bool = False, organisation: str = "",
                      actor: Actor | None = None, password_confirm: str | None = None) -> User:
    """Every broken rule is reported at once (one FieldError per field), the confirmation too."""
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
    if password_confirm is not None and password_confirm != password:
        errors.append(FieldError("password_confirm", PASSWORDS_DIFFER))
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


def login_limits(email: str, client: str, *, per_account: int, per_client: int,
                 per_account_all_clients: int | None = None) -> list[ratelimit.Limit]:
    """Failed logins are limited per account from one address, per address, and (more loosely) per
    account from every address: someone guessing from one address cannot lock the owner out elsewhere."""
    return [
        ratelimit.Limit(f"login:account-client:{email}|{client}", per_account),
        ratelimit.Limit(f"login:client:{client}", per_client),
        ratelimit.Limit(f"login:account:{email}", per_account_all_clients or per_account * 10),
    ]


async def authenticate(email: str, password: str, *, client: str, per_account: int,
                       per_client: int, window_seconds: int,
                       per_account_all_clients: int | None = None) -> User:
    """The user these credentials belong to; counts failures per account and client address.

    Every attempt takes its place in the counters before the password is checked (one atomic step,
    see ratelimit.reserve), so concurrent attempts cannot overrun a limit; a right password gives
    the place back.
    """
    email = normalise_email(email)
    limits = login_limits(email, client, per_account=per_account, per_client=per_client,
                          per_account_all_clients=per_account_all_clients)
    try:
        hits = await ratelimit.reserve(limits, window_seconds=window_seconds)
    except ratelimit.LimitReached as reached:
        error = TooManyAttempts(
            "Trop de tentatives de connexion. Réessayez dans quelques minutes.")
        error.retry_after = reached.retry_after
        raise error from None
    user = await User.objects().get(User.email == email) if email else None
    valid = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if not user or not valid or not user.is_active:
        raise InvalidInput("Adresse électronique ou mot de passe incorrect.",
                           [FieldError("password", "Adresse électronique ou mot de passe incorrect.")])
    await ratelimit.release(hits)
    if user.email_verified_at is None:
        raise invalid("email", UNVERIFIED)
    await ratelimit.clear_hits(limits[0].key)
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


async def create_api_token(user_id: int, *, name: str, actor: Actor | None = None,
                           parent_id: int | None = None) -> str:
    """A new token, returned once in clear; only its hash is stored.

    `parent_id` is the token the request creating this one was authenticated with: the new token is
    revoked with it. A parent revoked meanwhile is refused (checked in the same transaction).
    """
    name = name.strip() or "jeton"
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with write_transaction(ApiToken._meta.db):
        if parent_id is not None and not await _token_chain_is_live(parent_id):
            raise NotFound("Jeton introuvable.")
        await ApiToken.insert(ApiToken(user=user_id, name=name[:100], prefix=token[:10],
                                       token_hash=_sha256(token), parent=parent_id))
        await record_event("token.created", actor_id=actor.id if actor else user_id,
                           actor=actor.email if actor else "", object_type="user", object_id=user_id,
                           data={"name": name, "prefix": token[:10],
                                 **({"parent_id": parent_id} if parent_id is not None else {})})
    return token


async def _token_chain_is_live(token_id: int | None) -> bool:
    """Whether this token and every token it descends from are unrevoked."""
    seen: set[int] = set()
    while token_id is not None and token_id not in seen:
        seen.add(token_id)
        row = await ApiToken.select(ApiToken.parent, ApiToken.revoked_at).where(
            ApiToken.id == token_id).first()
        if row is None or row["revoked_at"] is not None:
            return False
        token_id = row["parent"]
    return True


async def resolve_api_token(token: str) -> tuple[User, int] | None:
    """The active user a live token belongs to, and the token's id; None for an unknown token, a
    revoked one, or one made with a token since revoked."""
    row = await ApiToken.select(ApiToken.id, ApiToken.user, ApiToken.revoked_at, ApiToken.last_used_at,
                                ApiToken.parent).where(ApiToken.token_hash == _sha256(token)).first()
    if row is None or row["revoked_at"] is not None:
        return None
    if row["parent"] is not None and not await _token_chain_is_live(row["parent"]):
        return None
    user = await User.objects().get(User.id == row["user"])
    if user is None or not user.is_active:
        return None
    now = _now()
    # A write per API call would serialise every client on SQLite; a minute's precision is enough.
    if row["last_used_at"] is None or now - row["last_used_at"] > timedelta(minutes=1):
        await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == row["id"])
    return user, row["id"]


async def list_api_tokens(user_id: int) -> list[dict]:
    return await ApiToken.select(
        ApiToken.id, ApiToken.name, ApiToken.prefix, ApiToken.created_at,
        ApiToken.last_used_at, ApiToken.revoked_at,
    ).where(ApiToken.user == user_id).order_by(ApiToken.id, ascending=False)


async def _revoke_with_descendants(token_ids: list[int], *, now: datetime) -> list[int]:
    """Revokes these tokens and every token made with them; returns the ids newly revoked."""
    revoked: list[int] = []
    frontier, seen = list(token_ids), set(token_ids)
    while frontier:
        live = await ApiToken.select(ApiToken.id).where(
            ApiToken.id.is_in(frontier) & ApiToken.revoked_at.is_null())
        if live:
            ids = [row["id"] for row in live]
            await ApiToken.update({ApiToken.revoked_at: now}).where(ApiToken.id.is_in(ids))
            revoked += ids
        children = await ApiToken.select(ApiToken.id).where(ApiToken.parent.is_in(frontier))
        frontier = [row["id"] for row in children if row["id"] not in seen]
        seen.update(frontier)
    return revoked


async def revoke_api_token(user_id: int, token_id: int, *, actor: Actor) -> None:
    """Revokes the token, and with it every token created through it (and through those)."""
    async with write_transaction(ApiToken._meta.db):
        row = await ApiToken.select(ApiToken.id, ApiToken.revoked_at).where(
            (ApiToken.id == token_id) & (ApiToken.user == user_id)).first()
        if row is None:
            raise NotFound("Jeton introuvable.")
        revoked = await _revoke_with_descendants([token_id], now=_now())
        if revoked:
            data: dict = {"token_id": token_id}
            if others := [i for i in revoked if i != token_id]:
                data["with_descendants"] = others
            await record_event("token.revoked", actor_id=actor.id, actor=actor.email,
                               object_type="user", object_id=user_id, data=data)


async def revoke_all_api_tokens(user_id: int) -> list[int]:
    """Revokes every live token of the account; returns their ids."""
    rows = await ApiToken.select(ApiToken.id).where(
        (ApiToken.user == user_id) & ApiToken.revoked_at.is_null())
    ids = [row["id"] for row in rows]
    if ids:
        await ApiToken.update({ApiToken.revoked_at: _now()}).where(ApiToken.id.is_in(ids))
    return ids


# One-time email links ---------------------------------------------------------------------


async def issue_email_token(user_id: int, *, purpose: str, hours: int) -> str:
    token = secrets.token_urlsafe(32)
    await EmailToken.insert(EmailToken(user=user_id, purpose=purpose, token_hash=_sha256(token),
                                       expires_at=_now() + timedelta(hours=hours)))
    return token


async def _consume_email_token(token: str, *, purpose: str) -> User:
    """Marks the link used, once: a conditional UPDATE, so two concurrent uses cannot both pass."""
    row = await EmailToken.select().where(
        (EmailToken.token_hash == _sha256(token)) & (EmailToken.purpose == purpose)).first()
    if row is None or row["used_at"] is not None or row["expires_at"] <= _now():
        raise invalid("token", "Ce lien n'est pas valide ou a expiré. Demandez-en un nouveau.")
    claimed = await EmailToken.update({EmailToken.used_at: _now()}).where(
        (EmailToken.id == row["id"]) & EmailToken.used_at.is_null()).returning(EmailToken.id)
    user = await User.objects().get(User.id == row["user"]) if claimed else None
    if user is None:
        raise invalid("token", "Ce lien n'est pas valide ou a expiré. Demandez-en un nouveau.")
    return user


async def _void_email_tokens(user_id: int, *, purpose: str) -> int:
    """Marks every unused link of this purpose as used (so none of them works any more)."""
    voided = await EmailToken.update({EmailToken.used_at: _now()}).where(
        (EmailToken.user == user_id) & (EmailToken.purpose == purpose) & EmailToken.used_at.is_null()
    ).returning(EmailToken.id)
    return len(voided)


async def verify_email(token: str) -> User:
    """Marks the address verified. A link already used on an account now verified raises
    LinkAlreadyUsed (the page then says so and offers to log in) rather than a plain "invalid"."""
    try:
        user = await _consume_email_token(token, purpose="verify")
    except InvalidInput:
        row = await EmailToken.select(EmailToken.user, EmailToken.used_at).where(
            (EmailToken.token_hash == _sha256(token)) & (EmailToken.purpose == "verify")).first()
        if row is not None and row["used_at"] is not None:
            owner = await User.objects().get(User.id == row["user"])
            if owner is not None and owner.email_verified_at is not None:
                raise LinkAlreadyUsed(LINK_ALREADY_USED, [FieldError("token", LINK_ALREADY_USED)]) from None
        raise
    if user.email_verified_at is None:
        user.email_verified_at = _now()
        await user.save([User.email_verified_at])
        await record_event("user.email_verified", actor_id=user.id, actor=user.email,
                           object_type="user", object_id=user.id)
    return user


async def _link_account(purpose: str, email: str, *, client: str, per_client: int, window_seconds: int,
                        too_many: str) -> User | None:
    """The active account a mailed link of this purpose may go to, within the limits: per client address
    (TooManyAttempts, with Retry-After) and 3 links per address and window (then None, the same answer
    as for an unknown address)."""
    try:
        await ratelimit.reserve([ratelimit.Limit(f"{purpose}:client:{client}", per_client)],
                                window_seconds=window_seconds)
    except ratelimit.LimitReached as reached:
        error = TooManyAttempts(too_many)
        error.retry_after = reached.retry_after
        raise error from None
    email = normalise_email(email)
    if not email:
        return None
    try:
        await ratelimit.reserve([ratelimit.Limit(f"{purpose}:account:{email}", 3)],
                                window_seconds=window_seconds)
    except ratelimit.LimitReached:
        return None
    user = await User.objects().get(User.email == email)
    return user if user is not None and user.is_active else None


async def _fresh_link(user: User, purpose: str, hours: int) -> tuple[User, str]:
    """Only the newest link works: issuing one voids the account's earlier links of this purpose."""
    async with write_transaction(EmailToken._meta.db):
        await _void_email_tokens(user.id, purpose=purpose)
        return user, await issue_email_token(user.id, purpose=purpose, hours=hours)


async def start_password_reset(email: str, *, client: str, per_client: int,
                               window_seconds: int) -> tuple[User, str] | None:
    """A reset token for this address, or None when no such account (the page says the same).

    Only the newest link works: issuing one voids the account's earlier reset links.
    """
    user = await _link_account("reset", email, client=client, per_client=per_client,
                               window_seconds=window_seconds,
                               too_many=N_("Trop de demandes de réinitialisation. Réessayez plus tard."))
    return None if user is None else await _fresh_link(user, "reset", hours=2)


async def resend_verification(email: str, *, client: str, per_client: int,
                              window_seconds: int) -> tuple[User, str] | None:
    """A new verification link for an unverified account, or None (unknown address, already
    verified, or too many links for this address: the page says the same in every case).

    Limited like password resets: per client address (TooManyAttempts) and 3 per address and window.
    Only the newest link works: issuing one voids the account's earlier verification links.
    """
    user = await _link_account("verify", email, client=client, per_client=per_client,
                               window_seconds=window_seconds,
                               too_many=N_("Trop de demandes de lien de confirmation. Réessayez plus tard."))
    if user is None or user.email_verified_at is not None:
        return None
    return await _fresh_link(user, "verify", hours=48)


async def reset_password(token: str, new_password: str) -> User:
    """Sets the new password; effects, in one transaction: the link used, every other reset link
    voided, the password changed (and the address taken as verified), every session ended, every
    API token revoked, an audit entry."""
    if problem := password_problem(new_password):
        raise invalid("password", problem)
    password_hash = hash_password(new_password)
    async with write_transaction(User._meta.db):
        user = await _consume_email_token(token, purpose="reset")
        voided = await _void_email_tokens(user.id, purpose="reset")
        user.password_hash = password_hash
        # Following a reset link proves the address too.
        user.email_verified_at = user.email_verified_at or _now()
        await user.save([User.password_hash, User.email_verified_at])
        await end_all_sessions(user.id)
        revoked = await revoke_all_api_tokens(user.id)
        await record_event("user.password_reset", actor_id=user.id, actor=user.email,
                           object_type="user", object_id=user.id,
                           data={"tokens_revoked": revoked, "links_voided": voided})
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


async def manager_recipients() -> list[dict]:
    """Every manager once, as a mail recipient: email, name, locale."""
    rows = await UserRole.select(UserRole.user.email, UserRole.user.name, UserRole.user.locale).where(
        UserRole.role == "manager")
    seen: dict[str, dict] = {}
    for row in rows:
        seen.setdefault(row["user.email"], {"email": row["user.email"], "name": row["user.name"],
                                            "locale": row["user.locale"]})
    return list(seen.values())
