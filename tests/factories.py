"""Factories for pages the tests add to the loaded content tree."""

import datetime

import factory
import wagtail_factories

from editions.models import ArticlePage, Partner


class ArticlePageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Article de test {n}")
    introduction = factory.Faker("sentence", locale="fr_FR")
    date = factory.LazyFunction(datetime.date.today)

    class Meta:
        model = ArticlePage


class PartnerFactory(factory.django.DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Partenaire {n}")
    website = "https://example.org/"

    class Meta:
        model = Partner
