from .enquiry import Contact, Enquiry, Topic, TopicRoute
from .enquiry_page import EnquiryPage
from .events import ProgrammeEvent
from .invoice import Invoice, InvoiceSequence
from .offer import PartnershipOfferPage, Price
from .partner_area import PartnerAreaPage
from .partnership import (
    IllegalTransition,
    Partnership,
    PartnershipState,
    PartnershipTransition,
    PaymentAttempt,
    PaymentMethod,
    Tier,
)
from .registry import Adherent, AdherentImport
from .webhook import WebhookEvent

__all__ = [
    "Adherent",
    "Contact",
    "Enquiry",
    "EnquiryPage",
    "AdherentImport",
    "IllegalTransition",
    "Invoice",
    "InvoiceSequence",
    "PartnerAreaPage",
    "Partnership",
    "PartnershipOfferPage",
    "PartnershipState",
    "PartnershipTransition",
    "PaymentAttempt",
    "PaymentMethod",
    "Price",
    "ProgrammeEvent",
    "Tier",
    "Topic",
    "TopicRoute",
    "WebhookEvent",
]
