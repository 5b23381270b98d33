from tests.membership.shops.fake_platforms import fake_platforms  # noqa: F401  (a fixture for this package)
