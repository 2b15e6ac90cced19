"""Wagtail API v2: the portal's pages, images and documents as open data (read-only)."""

from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet


class PublicPagesAPIViewSet(PagesAPIViewSet):
    """Live, public pages, less the partner-only area (open to paying partners only)."""

    def get_base_queryset(self):
        from membership.models import PartnerAreaPage

        return super().get_base_queryset().not_type(PartnerAreaPage)


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", PublicPagesAPIViewSet)
api_router.register_endpoint("images", ImagesAPIViewSet)
api_router.register_endpoint("documents", DocumentsAPIViewSet)
