from .home_page import HomePage
from .organisation_page import OrganisationPage
from .people import PersonIndexPage, PersonPage
from .standard_page import StandardPage

__all__ = ["HomePage", "OrganisationPage", "PersonIndexPage", "PersonPage", "StandardPage"]
