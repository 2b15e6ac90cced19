"""The site's own Content Security Policy header, built once per process.

django-csp builds its header again for every answer, which costs about a fifth of serving a
page from the page cache. The public site's policy (no nonce, no view decorator, outside the
admin) is the same for every answer: portal.middleware.PortalCSPMiddleware and the page
cache's answers (portal/cache.py) add it from here.
"""

from django.conf import settings

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy

# What django-csp's view decorators set on a response (its own policy for that view).
CSP_VIEW_ATTRIBUTES = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
_site_policies = {}


def _site_policy(report_only):
    """The header built from CONTENT_SECURITY_POLICY(_REPORT_ONLY), and its excluded prefixes;
    built again only when the setting is replaced (tests override settings)."""
    name = "CONTENT_SECURITY_POLICY_REPORT_ONLY" if report_only else "CONTENT_SECURITY_POLICY"
    current = getattr(settings, name, None)
    cached = _site_policies.get(report_only)
    if cached is None or cached[0] is not current:
        excluded = tuple((current or {}).get("EXCLUDE_URL_PREFIXES") or ())
        cached = (current, build_policy(report_only=report_only), excluded)
        _site_policies[report_only] = cached
    return cached[1], cached[2]


def site_policy_headers(path_info):
    """The site's policy headers for an answer at ``path_info`` that has none of its own."""
    headers = []
    for report_only, header in ((False, HEADER), (True, HEADER_REPORT_ONLY)):
        policy, excluded = _site_policy(report_only)
        if policy and not path_info.startswith(excluded):
            headers.append((header, policy))
    return headers


def add_site_policy(path_info, response):
    """Give the response the site's policy headers, unless it has its own or is exempt."""
    for header, policy in site_policy_headers(path_info):
        exempt = "_csp_exempt_ro" if header == HEADER_REPORT_ONLY else "_csp_exempt"
        if header not in response and not getattr(response, exempt, False):
            response[header] = policy
