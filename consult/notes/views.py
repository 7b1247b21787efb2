"""Pages for community conversations: hosts record them and import notes; the public reads them."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from consult.accounts.models import Role
from consult.accounts.roles import role_required
from consult.consultations.services import get_phase, get_phase_by_id
from consult.errors import ConsultError, NotFound
from consult.notes import services
from consult.notes.forms import ENCODINGS, ConversationForm
from consult.notes.models import CommunityConversation, NoteUpload, UploadState
from consult.notes.parsing import MAX_BYTES, TEXT_MAX, TEXT_MIN
from consult.notes.wording import group_text, location_text, remark_text, where_text

bp = Blueprint("notes", __name__)

STAFF = (Role.HOST, Role.SUPPORT)


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


bp.add_app_template_filter(location_text, "note_location")
bp.add_app_template_filter(remark_text, "note_remark")
bp.add_app_template_filter(group_text, "note_group")
bp.add_app_template_filter(where_text, "note_where")


@bp.app_context_processor
def provenance_helpers() -> dict[str, Any]:
    """``notes_provenance(ids)`` for the moderation queue: offline sources of each statement."""
    return {"notes_provenance": services.sources_for_statements}


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc):
    message = _(
        "The file is larger than %(mb)d MB, the limit for notes. Nothing was imported: split the "
        "notes into smaller files.",
        mb=MAX_BYTES // 1024 // 1024,
    )
    title = _("File too large")
    return render_template("error.html", status=413, title=title, message=message), 413


# --- staff: conversations ------------------------------------------------------------------------


@bp.get("/notes/")
@role_required(*STAFF)
def index():
    return render_template(
        "notes/index.html",
        conversations=services.conversations_for(current_user),
        sees_all=services.sees_all(current_user),
    )


def _form_page(form: ConversationForm, conversation: CommunityConversation | None, status=200):
    return (
        render_template(
            "notes/conversation_form.html",
            form=form,
            conversation=conversation,
            phases=services.phases_open_to_notes(),
            suggestions=services.GROUP_SUGGESTIONS,
        ),
        status,
    )


@bp.route("/notes/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new():
    if request.method == "GET":
        phases = services.phases_open_to_notes()
        wanted = request.args.get("phase", type=int)
        first = next((p for p in phases if p.id == wanted), phases[0] if phases else None)
        language = first.consultation.default_language if first else "en"
        return _form_page(ConversationForm.blank(language, first.id if first else None), None)
    form = ConversationForm.from_request(request.form)
    try:
        if form.values["phase_id"] is None:
            raise NotFound(_("Choose the phase these notes belong to."), field="phase_id")
        phase = get_phase_by_id(form.values["phase_id"])
        conversation = services.create_conversation(phase, current_user, **form.service_fields())
    except ConsultError as exc:
        form.errors[exc.field or "form"] = exc.message
        return _form_page(form, None, 422)
    flash(
        _(
            "Community conversation “%(title)s” recorded. Now upload its notes.",
            title=conversation.title,
        ),
        "success",
    )
    return redirect(url_for(".conversation", conversation_id=conversation.id))


@bp.route("/notes/<int:conversation_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit(conversation_id: int):
    conversation = services.get_conversation(current_user, conversation_id)
    if request.method == "GET":
        return _form_page(ConversationForm.from_conversation(conversation), conversation)
    form = ConversationForm.from_request(request.form)
    form.values["phase_id"] = conversation.phase_id
    try:
        services.update_conversation(conversation, **form.service_fields())
    except ConsultError as exc:
        form.errors[exc.field or "form"] = exc.message
        return _form_page(form, conversation, 422)
    flash(_("Changes saved."), "success")
    return redirect(url_for(".conversation", conversation_id=conversation.id))


def _conversation_page(conversation: CommunityConversation, *, upload_error: str | None = None):
    return render_template(
        "notes/conversation.html",
        conversation=conversation,
        statements=services.imported_statements(conversation),
        upload_error=upload_error,
        encodings=ENCODINGS,
        max_mb=MAX_BYTES // 1024 // 1024,
    )


@bp.get("/notes/<int:conversation_id>/")
@role_required(*STAFF)
def conversation(conversation_id: int):
    return _conversation_page(services.get_conversation(current_user, conversation_id))


@bp.post("/notes/<int:conversation_id>/uploads")
@role_required(*STAFF)
def upload(conversation_id: int):
    conversation = services.get_conversation(current_user, conversation_id)
    file = request.files.get("notes")
    if file is None or not file.filename:
        error = _("Choose a notes file to upload.")
        return _conversation_page(conversation, upload_error=error), 422
    data = file.read()
    try:
        upload, resumed = services.start_upload(
            conversation,
            file.filename,
            data,
            user=current_user,
            declared_encoding=request.form.get("encoding") or None,
        )
    except services.AlreadyImported as exc:
        flash(exc.message, "warning")
        return redirect(url_for(".conversation", conversation_id=conversation.id))
    except ConsultError as exc:
        return _conversation_page(conversation, upload_error=exc.message), 422
    if resumed:
        flash(
            _(
                "You uploaded %(file)s before without importing it: here is that preview as you "
                "left it.",
                file=upload.filename,
            ),
            "info",
        )
    return redirect(url_for(".preview", conversation_id=conversation.id, upload_id=upload.id))


# --- staff: preview ------------------------------------------------------------------------------


def preview_counts(candidates: list[dict[str, Any]]) -> dict[str, int]:
    kept = [c for c in candidates if not c["dropped"]]
    return {
        "total": len(candidates),
        "kept": len(kept),
        "dropped": len(candidates) - len(kept),
        "new": sum(1 for c in kept if not c.get("exact") and not c.get("link_to")),
        "linked": sum(1 for c in kept if (c.get("exact") or c.get("link_to")) and not c["already"]),
        "already": sum(1 for c in kept if c.get("already")),
        "similar": sum(1 for c in kept if c.get("similar")),
        "problems": sum(1 for c in kept if c.get("problem")),
    }


def _preview_context(upload: NoteUpload) -> dict[str, Any]:
    conversation = upload.conversation
    return {
        "upload": upload,
        "conversation": conversation,
        "candidates": upload.candidates,
        "counts": preview_counts(upload.candidates),
        "numbers": {c["key"]: n for n, c in enumerate(upload.candidates, start=1)},
        "language": conversation.language,
        "text_min": TEXT_MIN,
        "text_max": TEXT_MAX,
    }


def _upload(conversation_id: int, upload_id: int) -> NoteUpload:
    return services.get_upload(current_user, conversation_id, upload_id)


@bp.get("/notes/<int:conversation_id>/uploads/<int:upload_id>/")
@role_required(*STAFF)
def preview(conversation_id: int, upload_id: int):
    upload = _upload(conversation_id, upload_id)
    if upload.state == UploadState.IMPORTED:
        return redirect(url_for(".conversation", conversation_id=conversation_id) + "#imported")
    return render_template("notes/preview.html", **_preview_context(upload), error=None)


def _candidate_response(
    upload: NoteUpload, key: str, *, focus: str | None = None, status: int = 200
) -> Response | tuple:
    """One candidate's fragment for htmx (with the summary, out of band), else back to the page."""
    if not _is_htmx():
        return redirect(
            url_for(".preview", conversation_id=upload.conversation_id, upload_id=upload.id)
            + f"#cand-{key}"
        )
    number, candidate = next(
        (n, c) for n, c in enumerate(upload.candidates, start=1) if c["key"] == key
    )
    html = render_template(
        "notes/_candidate_response.html",
        **_preview_context(upload),
        c=candidate,
        number=number,
        focus=focus,
    )
    return html, status, {"Vary": "HX-Request"}


def _list_response(upload: NoteUpload, *, message: str | None = None, status: int = 200):
    if not _is_htmx():
        if message:
            flash(message, "success")
        return redirect(
            url_for(".preview", conversation_id=upload.conversation_id, upload_id=upload.id)
        )
    html = render_template(
        "notes/_candidates_response.html", **_preview_context(upload), message=message
    )
    return html, status, {"Vary": "HX-Request"}


def _action_error(upload: NoteUpload, exc: ConsultError):
    if not _is_htmx():
        flash(exc.message, "error")
        return redirect(
            url_for(".preview", conversation_id=upload.conversation_id, upload_id=upload.id)
        )
    html = render_template("notes/_action_error.html", error=exc.message)
    return (
        html,
        422,
        {"Vary": "HX-Request", "HX-Retarget": "#preview-alert", "HX-Reswap": "outerHTML"},
    )


@bp.get("/notes/<int:conversation_id>/uploads/<int:upload_id>/candidates/<key>")
@role_required(*STAFF)
def candidate(conversation_id: int, upload_id: int, key: str):
    upload = _upload(conversation_id, upload_id)
    if not any(c["key"] == key for c in upload.candidates):
        abort(404)
    return _candidate_response(upload, key, focus="edit")


@bp.get("/notes/<int:conversation_id>/uploads/<int:upload_id>/candidates/<key>/edit")
@role_required(*STAFF)
def edit_candidate_form(conversation_id: int, upload_id: int, key: str):
    upload = _upload(conversation_id, upload_id)
    found = [(n, c) for n, c in enumerate(upload.candidates, start=1) if c["key"] == key]
    if not found:
        abort(404)
    number, candidate = found[0]
    return render_template(
        "notes/_candidate_edit.html",
        **_preview_context(upload),
        c=candidate,
        number=number,
        values=candidate,
        error=None,
    )


@bp.post("/notes/<int:conversation_id>/uploads/<int:upload_id>/candidates/<key>")
@role_required(*STAFF)
def save_candidate(conversation_id: int, upload_id: int, key: str):
    upload = _upload(conversation_id, upload_id)
    try:
        services.edit_candidate(
            upload,
            key,
            text=request.form.get("text", ""),
            speaker_group=request.form.get("speaker_group"),
            votes_for=request.form.get("votes_for"),
            votes_against=request.form.get("votes_against"),
        )
    except NotFound:
        abort(404)
    except ConsultError as exc:
        if not _is_htmx():
            return _action_error(upload, exc)
        number, candidate = next(
            (n, c) for n, c in enumerate(upload.candidates, start=1) if c["key"] == key
        )
        html = render_template(
            "notes/_candidate_edit.html",
            **_preview_context(upload),
            c=candidate,
            number=number,
            values=request.form,
            error=exc.message,
            error_field=exc.field,
        )
        return html, 422, {"Vary": "HX-Request"}
    return _candidate_response(upload, key, focus="edit")


@bp.post("/notes/<int:conversation_id>/uploads/<int:upload_id>/candidates/<key>/drop")
@role_required(*STAFF)
def drop_candidate(conversation_id: int, upload_id: int, key: str):
    upload = _upload(conversation_id, upload_id)
    dropped = request.form.get("dropped", "1") == "1"
    try:
        services.set_dropped(upload, key, dropped)
    except ConsultError as exc:
        return _action_error(upload, exc)
    return _candidate_response(upload, key, focus="drop")


@bp.post("/notes/<int:conversation_id>/uploads/<int:upload_id>/candidates/<key>/link")
@role_required(*STAFF)
def link_candidate(conversation_id: int, upload_id: int, key: str):
    upload = _upload(conversation_id, upload_id)
    value = request.form.get("statement_id", "")
    try:
        services.link_candidate(upload, key, int(value) if value.isdigit() else None)
    except ConsultError as exc:
        return _action_error(upload, exc)
    return _candidate_response(upload, key, focus="link")


@bp.post("/notes/<int:conversation_id>/uploads/<int:upload_id>/merge")
@role_required(*STAFF)
def merge(conversation_id: int, upload_id: int):
    upload = _upload(conversation_id, upload_id)
    keys = request.form.getlist("keys")
    try:
        merged = services.merge_candidates(upload, keys)
    except ConsultError as exc:
        return _action_error(upload, exc)
    number = next(n for n, c in enumerate(upload.candidates, start=1) if c["key"] == merged["key"])
    message = _("%(count)d points merged into point %(number)d.", count=len(keys), number=number)
    return _list_response(upload, message=message)


@bp.post("/notes/<int:conversation_id>/uploads/<int:upload_id>/candidates")
@role_required(*STAFF)
def add(conversation_id: int, upload_id: int):
    upload = _upload(conversation_id, upload_id)
    try:
        services.add_candidate(upload, request.form.get("text", ""))
    except ConsultError as exc:
        if not _is_htmx():
            return _action_error(upload, exc)
        html = render_template(
            "notes/_add_form.html",
            **_preview_context(upload),
            text=request.form.get("text", ""),
            error=exc.message,
        )
        headers = {"Vary": "HX-Request", "HX-Retarget": "#add-form", "HX-Reswap": "outerHTML"}
        return html, 422, headers
    message = _("Point %(number)d added.", number=len(upload.candidates))
    return _list_response(upload, message=message)


@bp.post("/notes/<int:conversation_id>/uploads/<int:upload_id>/confirm")
@role_required(*STAFF)
def confirm(conversation_id: int, upload_id: int):
    upload = _upload(conversation_id, upload_id)
    try:
        result = services.confirm_import(
            upload, open_for_voting=request.form.get("open_for_voting") == "1"
        )
    except ConsultError as exc:
        if upload.state == UploadState.IMPORTED:
            flash(exc.message, "warning")
            return redirect(url_for(".conversation", conversation_id=conversation_id))
        page = render_template("notes/preview.html", **_preview_context(upload), error=exc.message)
        return page, 422
    flash(result.summary(), "success" if not result.nothing_new else "warning")
    return redirect(url_for(".conversation", conversation_id=conversation_id) + "#imported")


@bp.post("/notes/<int:conversation_id>/uploads/<int:upload_id>/discard")
@role_required(*STAFF)
def discard(conversation_id: int, upload_id: int):
    upload = _upload(conversation_id, upload_id)
    name = upload.filename
    try:
        services.discard_upload(upload)
    except ConsultError as exc:
        flash(exc.message, "error")
    else:
        flash(_("The preview of %(file)s was discarded; nothing was imported.", file=name), "info")
    return redirect(url_for(".conversation", conversation_id=conversation_id))


# --- public --------------------------------------------------------------------------------------


def _public_phase(slug: str, position: int):
    phase = get_phase(slug, position)
    staff = current_user.is_authenticated and current_user.has_role(Role.SUPPORT, Role.STEERING)
    if not phase.is_public and not staff:
        abort(404)
    return phase


def _public_conversation(phase, conversation_id: int) -> CommunityConversation:
    from consult.extensions import db

    conversation = db.session.get(CommunityConversation, conversation_id)
    if conversation is None or conversation.phase_id != phase.id:
        abort(404)
    return conversation


@bp.get("/c/<slug>/phase/<int:position>/conversations/")
def public_list(slug: str, position: int):
    phase = _public_phase(slug, position)
    summaries = services.conversations_for_phase(phase)
    public_counts = services.public_statement_counts(phase)
    return render_template(
        "notes/public_list.html",
        phase=phase,
        consultation=phase.consultation,
        conversations=summaries,
        public_counts=public_counts,
        total_participants=sum(c.participant_count or 0 for c in summaries),
    )


@bp.get("/c/<slug>/phase/<int:position>/conversations/<int:conversation_id>")
def public_conversation(slug: str, position: int, conversation_id: int):
    phase = _public_phase(slug, position)
    conversation = _public_conversation(phase, conversation_id)
    uploads = [u for u in conversation.uploads if u.state == UploadState.IMPORTED]
    return render_template(
        "notes/public_conversation.html",
        phase=phase,
        consultation=phase.consultation,
        conversation=conversation,
        statements=services.public_statements(conversation),
        uploads=uploads if conversation.consent_to_publish else [],
    )


@bp.get(
    "/c/<slug>/phase/<int:position>/conversations/<int:conversation_id>/notes/<int:upload_id>.txt"
)
def raw_notes(slug: str, position: int, conversation_id: int, upload_id: int):
    phase = _public_phase(slug, position)
    conversation = _public_conversation(phase, conversation_id)
    upload = next(
        (u for u in conversation.uploads if u.id == upload_id and u.state == UploadState.IMPORTED),
        None,
    )
    if upload is None or not conversation.consent_to_publish:
        abort(404)
    response = Response(upload.raw_text, mimetype="text/plain; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'inline; filename="conversation-{conversation.id}-notes-{upload.id}.txt"'
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
