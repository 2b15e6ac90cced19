from .article import ArticleIndexPage, ArticlePage, ArticlePageTag
from .edition import EditionIndexPage, EditionPage
from .partner import Partner

__all__ = [
    "ArticleIndexPage",
    "ArticlePage",
    "ArticlePageTag",
    "EditionIndexPage",
    "EditionPage",
    "Partner",
]
