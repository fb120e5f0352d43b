"""HR's test-centre pages: the agency's centres and rooms, and the rooms of a sitting."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..common.access import HR_ROLES
from ..common.auth import roles_required
from ..common.errors import DomainError
from ..common.forms import show_error
from ..exams.sittings import sitting_for_hr
from ..extensions import db
from ..recruitment.services import accommodation_label
from . import bp, services
from .forms import AttachRoomForm, RoomForm, VenueForm
from .models import Room


def _me():
    return current_user._get_current_object()


@bp.route("/hr/centres", methods=["GET", "POST"])
@roles_required(*HR_ROLES)
def hr_venues():
    if current_user.agency_id is None:
        abort(403)
    form = VenueForm()
    status = 200
    if form.validate_on_submit():
        try:
            venue = services.add_venue(_me(), form.name_th.data, form.name_en.data, form.address_th.data)
        except DomainError as err:
            status = show_error(form, err)
        else:
            flash(_("The test centre %(name)s has been added.", name=venue.name_th), "success")
            return redirect(url_for(".hr_venue", venue_id=venue.id))
    elif request.method == "POST":
        status = 422
    return render_template(
        "centres/hr_venues.html", venues=services.venues_of(current_user.agency_id), form=form
    ), status


def _room_form() -> RoomForm:
    form = RoomForm()
    form.provides.choices = [(k, accommodation_label(k)) for k in services.ROOM_PROVIDES]
    return form


@bp.route("/hr/centres/<int:venue_id>", methods=["GET", "POST"])
@roles_required(*HR_ROLES)
def hr_venue(venue_id: int):
    venue = services.get_venue(venue_id, _me())
    form = _room_form()
    status = 200
    if form.validate_on_submit():
        try:
            room = services.add_room(
                venue,
                _me(),
                code=form.code.data,
                seats=form.seats.data,
                accessible_seats=form.accessible_seats.data,
                computers=form.computers.data,
                provides=form.provides.data,
            )
        except DomainError as err:
            status = show_error(form, err)
        else:
            flash(_("Room %(code)s has been added.", code=room.code), "success")
            return redirect(url_for(".hr_venue", venue_id=venue.id))
    elif request.method == "POST":
        status = 422
    return render_template("centres/hr_venue.html", venue=venue, form=form), status


def _render_sitting_rooms(sitting, form=None, status: int = 200):
    form = form or AttachRoomForm()
    form.room_id.choices = [
        (r.id, f"{r.venue.name_th} · {r.code} ({r.seats})") for r in services.free_rooms_for(sitting)
    ]
    return render_template(
        "centres/hr_sitting_rooms.html",
        sitting=sitting,
        rooms=services.rooms_of_sitting(sitting.id),
        capacity=services.capacity_of(sitting.id),
        form=form,
    ), status


@bp.route("/hr/sittings/<int:sitting_id>/rooms", methods=["GET", "POST"])
@roles_required(*HR_ROLES)
def hr_sitting_rooms(sitting_id: int):
    sitting = sitting_for_hr(sitting_id, current_user)
    if request.method == "GET":
        return _render_sitting_rooms(sitting)
    form = AttachRoomForm()
    form.room_id.choices = [(r.id, "") for r in services.free_rooms_for(sitting)]
    if not form.validate_on_submit():
        return _render_sitting_rooms(sitting, form, 422)
    try:
        services.attach_room(sitting, _me(), db.session.get(Room, form.room_id.data))
    except DomainError as err:
        return _render_sitting_rooms(sitting, form, show_error(form, err))
    flash(_("The room has been added to the sitting."), "success")
    return redirect(url_for(".hr_sitting_rooms", sitting_id=sitting.id))


@bp.route("/hr/sittings/<int:sitting_id>/rooms/<int:link_id>/remove", methods=["POST"])
@roles_required(*HR_ROLES)
def hr_detach_room(sitting_id: int, link_id: int):
    sitting = sitting_for_hr(sitting_id, current_user)
    form = AttachRoomForm()
    if not form.validate_on_submit() and form.csrf_token.errors:
        abort(400)
    try:
        services.detach_room(sitting, _me(), link_id)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return _render_sitting_rooms(sitting, None, err.status_code)
    flash(_("The room has been taken off the sitting."), "success")
    return redirect(url_for(".hr_sitting_rooms", sitting_id=sitting.id))
