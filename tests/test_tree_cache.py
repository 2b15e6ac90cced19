"""The tree cache (home/tree_cache.py) with a shared store, as with Redis: each process keeps
what it read while the tree version stays the same, and a version replaced by another process
is seen by the next request."""

from django.core.cache import cache

import pytest

from editions.models import EditionPage, Partner
from home import tree_cache
from portal.process_memory import ProcessMemory
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_store(shared_tree_cache):
    tree_cache.reset()


@pytest.fixture
def think_small(fr):
    return EditionPage.objects.get(locale=fr, start_year=2016)


def renamed_elsewhere(partner, name):
    """A change committed by another process: the row changes, this process gets no signal."""
    Partner.objects.filter(pk=partner.pk).update(name=name)


def test_a_process_keeps_what_it_read_while_the_tree_is_the_same(client, shared_store, think_small):
    partner = PartnerFactory(edition=think_small, name="Partenaire Lu")
    tree_cache.reset()  # as if committed
    cache.set(tree_cache.VERSION_KEY, "v1", None)
    client.get(think_small.url)  # computed, kept in the store and in this process under v1
    cache.clear()  # the store loses its entries; the tree is still v1
    cache.set(tree_cache.VERSION_KEY, "v1", None)
    renamed_elsewhere(partner, "Partenaire Renommé")

    page = client.get(think_small.url).content.decode()

    assert "Partenaire Lu" in page  # from this process's memory, not recomputed


def test_a_version_replaced_by_another_process_is_seen_by_the_next_request(
    client, shared_store, think_small
):
    partner = PartnerFactory(edition=think_small, name="Partenaire Avant")
    tree_cache.reset()
    assert "Partenaire Avant" in client.get(think_small.url).content.decode()
    renamed_elsewhere(partner, "Partenaire Après")

    cache.set(tree_cache.VERSION_KEY, "replaced-by-another-process", None)
    page = client.get(think_small.url).content.decode()

    assert "Partenaire Après" in page and "Partenaire Avant" not in page


def test_each_lookup_gets_its_own_copy(shared_store):
    first = tree_cache.get_or_compute("copy", lambda: {"menu": ["a"]})
    first["menu"].append("changed by a caller")

    assert tree_cache.get_or_compute("copy", lambda: {}) == {"menu": ["a"]}


def test_process_memory_keeps_the_most_recently_used_within_its_limit():
    memory = ProcessMemory(limit=10)
    memory.set("a", "v", "A", 4)
    memory.set("b", "v", "B", 4)
    memory.get("a", "v")  # a is now the most recently used
    memory.set("c", "v", "C", 4)

    assert memory.get("b", "v") is None
    assert (memory.get("a", "v"), memory.get("c", "v")) == ("A", "C")
    assert memory.size == 8
    assert memory.get("a", "other version") is None
    memory.set("huge", "v", "H", 11)
    assert memory.get("huge", "v") is None and memory.size == 8


class UnreachableCache:
    """A cache whose server does not answer, as Redis down."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("Connection refused")

        return fail


def test_with_the_cache_unreachable_values_are_computed(monkeypatch, caplog):
    with monkeypatch.context() as patched:
        patched.setattr(tree_cache, "cache", UnreachableCache())

        value = tree_cache.get_or_compute("menu", lambda: ["Éditions", "Articles"])

    assert value == ["Éditions", "Articles"]
    assert "Tree cache unavailable" in caplog.text
