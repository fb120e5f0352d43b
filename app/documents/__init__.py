"""PDF documents: the admission ticket and the Part A pass certificate, in Thai, on A4."""

from .admission_ticket import AdmissionTicket, render_admission_ticket
from .certificate import PartACertificate, render_part_a_certificate

__all__ = ["AdmissionTicket", "PartACertificate", "render_admission_ticket", "render_part_a_certificate"]
