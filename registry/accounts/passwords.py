import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from registry.errors import N_

# argon2id with the library's defaults (RFC 9106 low-memory profile). The test suite sets
# AMI_PASSWORD_HASHING=fast: still argon2id, with cheap parameters, so hundreds of logins stay quick.
if os.environ.get("AMI_PASSWORD_HASHING") == "fast":
    _hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
else:
    _hasher = PasswordHasher()
MIN_LENGTH = 12



def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str) -> str | None:
    """The rule a new password breaks, in French, or None."""
    # Literal messages (MIN_LENGTH is 12), so that the catalogue translates them where they are shown.
    if len(password) < MIN_LENGTH:
        return N_("Le mot de passe doit compter au moins 12 caractères.")
    if len(password) > 1000:
        return N_("Le mot de passe est trop long (1000 caractères au plus).")
    if len(set(password)) < 5:
        return N_("Le mot de passe est trop répétitif.")
    return None
