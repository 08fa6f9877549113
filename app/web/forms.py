"""Small helpers shared by the HTML form handlers."""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar import Request
from litestar.response import Redirect

from app.i18n import gettext as _
from app.i18n import translate_stored
from registry.errors import DomainError

FLASH_COOKIE = "ami_flash"

# Flash messages travel as codes, never as text taken from the request.
FLASH_MESSAGES = {
    "logged_in": ("success", "Vous êtes connecté."),
    "logged_out": ("info", "Vous êtes déconnecté."),
    "profile_saved": ("success", "Votre profil a été enregistré."),
    "password_reset": ("success", "Votre mot de passe a été changé. Vous pouvez vous connecter."),
    "email_verified": ("success", "Votre adresse est confirmée. Vous pouvez vous connecter."),
    "token_revoked": ("success", "Le jeton a été révoqué."),
    "roles_saved": ("success", "Les rôles ont été enregistrés."),
    "outbox_retried": ("success", "Le courriel est remis dans la file d’envoi."),
    "outbox_not_retried": ("info", "Ce courriel est déjà envoyé ou en cours d’envoi."),
    "review_no_conflict_declared": ("success", "Absence de conflit déclarée : le dossier complet est accessible."),
    "review_conflict_declared": ("info",
                                 "Conflit d’intérêts déclaré : l’attribution est libérée et l’équipe prévenue."),
    "review_saved": ("success", "Brouillon d’évaluation enregistré."),
    "review_submitted": ("success", "Évaluation remise. Elle est désormais verrouillée."),
    "review_profile_saved": ("success", "Le profil de l’évaluateur a été enregistré."),
    "assignments_created": ("success", "Les attributions automatiques ont été faites."),
    "assignment_created": ("success", "L’évaluateur a été attribué."),
    "assignment_cancelled": ("success", "L’attribution a été annulée."),
    "review_reopened": ("success", "L’évaluation a été rouverte ; l’évaluateur peut la modifier."),
    "decision_saved": ("success", "La décision est préparée."),
    "decisions_released": ("success", "Les décisions sont publiées ; les courriers sont dans la file d’envoi."),
    "call_saved": ("success", "L'appel a été enregistré."),
    "call_moved": ("success", "L'état de l'appel a été changé."),
    "questions_saved": ("success", "Les questions de l’appel ont été enregistrées."),
    "questions_versioned": ("success", "Nouvelle version des questions enregistrée ; les réponses déjà déposées "
                                       "gardent la leur."),
    "application_started": ("success", "Votre brouillon de candidature est créé. Il n'est pas encore soumis."),
    "application_saved": ("success", "Brouillon enregistré. Il n'est pas encore soumis."),
    "correction_requested": ("success", "Correction demandée : les porteurs sont prévenus par courriel."),
    "correction_replied": ("success", "Message envoyé."),
    "application_saved_with_errors": ("warning", "Brouillon enregistré, sauf les valeurs signalées ci-dessous : "
                                                 "elles ne sont pas valides. Elles sont conservées telles que "
                                                 "saisies, mais la candidature ne pourra être déposée qu'une fois "
                                                 "corrigées."),
    "application_submitted": ("success", "Votre candidature est soumise. Un accusé de réception vous a été envoyé."),
    "application_withdrawn": ("success", "Votre candidature est retirée."),
    "application_reopened": ("info", "Candidature rouverte : modifiez-la puis soumettez-la à nouveau avant la "
                                     "date limite. D'ici là, la dernière version soumise compte."),
    "attachment_added": ("success", "La pièce jointe a été ajoutée."),
    "attachment_removed": ("success", "La pièce jointe a été supprimée."),
    "co_applicant_added": ("success", "Le co-candidat a été invité."),
    "co_applicant_removed": ("success", "Le co-candidat a été retiré."),
}


async def form_data(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: str(value) for key, value in form.items()}


async def form_lists(request: Request) -> dict[str, list[str]]:
    form = await request.form()
    return {key: [str(v) for v in form.getall(key)] for key in form}


def field_errors(error: DomainError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for item in error.errors:
        # translate_stored: a catalogue message, or one with its parameters filled in.
        errors.setdefault(item.field, translate_stored(item.message))
    if not errors:
        errors["form"] = translate_stored(error.detail)
    return errors


def safe_next(target: str | None, default: str = "/account") -> str:
    """Only same-site paths, so a crafted link cannot send users elsewhere after login."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def redirect_with_flash(path: str, code: str) -> Redirect:
    response = Redirect(path, status_code=303)
    response.set_cookie(FLASH_COOKIE, code, max_age=60, httponly=True, samesite="lax", path="/")
    return response


def pop_flash(request: Request) -> dict[str, str] | None:
    code = request.cookies.get(FLASH_COOKIE)
    if code not in FLASH_MESSAGES:
        return None
    kind, message = FLASH_MESSAGES[code]
    return {"kind": kind, "message": _(message), "code": code}


async def uploaded_file(request: Request, field: str) -> tuple[bytes, str]:
    """The content and file name of a multipart upload field; empty when absent."""
    from litestar.datastructures import UploadFile

    upload = (await request.form()).get(field)
    if isinstance(upload, UploadFile):
        return await upload.read(), upload.filename or "document.pdf"
    return b"", ""


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def confirmation_page(request: Request, *, heading: str, message: str, consequences: list[str] | None = None,
                      action: str, fields: dict | None = None, cancel_url: str, confirm_label: str | None = None,
                      warnings: list[str] | None = None):
    """The confirmation step of an irreversible HTML action (templates/confirm.html), answered with 200.

    `fields` are re-posted as hidden inputs (a list value gives one input per item), plus ``confirm=1``."""
    from app.web.templating import page

    return page("confirm.html", request, heading=heading, message=message, consequences=consequences or [],
                action=action, fields=fields or {}, cancel_url=cancel_url,
                confirm_label=confirm_label or _("Confirmer"), warnings=warnings or [])


def confirmed(data) -> bool:
    """Whether a posted form carries ``confirm=1`` (the second step of a confirmed action)."""
    value = data.get("confirm") if data is not None else None
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value or "").strip() == "1"
