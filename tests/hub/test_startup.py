"""The server itself refuses unsafe production settings, not only management commands:
``daphne hub.asgi:application`` must not serve with the development secret."""

from __future__ import annotations

from tests.hub.test_settings import PRODUCTION_ENV, run

IMPORT_ASGI = ["-c", "import hub.asgi; print('loaded', type(hub.asgi.application).__name__)"]


def test_asgi_refuses_the_development_secrets(tmp_path):
    env = {
        key: value
        for key, value in PRODUCTION_ENV.items()
        if key not in {"SECRET_KEY", "KANTA_WEBHOOK_SECRET"}
    }
    result = run(IMPORT_ASGI, {**env, "KANTA_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "ImproperlyConfigured: Refusing to serve" in result.stderr
    assert "kanta.E001" in result.stderr and "kanta.E004" in result.stderr
    assert "loaded" not in result.stdout


def test_asgi_loads_with_safe_production_settings(tmp_path):
    result = run(IMPORT_ASGI, {**PRODUCTION_ENV, "KANTA_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "loaded ClientAddressMiddleware" in result.stdout


def test_asgi_loads_with_no_environment(tmp_path):
    result = run(IMPORT_ASGI, {"KANTA_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr


def test_daphne_exits_with_the_reason_instead_of_serving(tmp_path):
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "SECRET_KEY"}
    result = run(
        ["-m", "daphne", "-b", "127.0.0.1", "-p", "0", "hub.asgi:application"],
        {**env, "KANTA_VAR_DIR": str(tmp_path), "PYTHONPATH": "."},
    )
    assert result.returncode != 0
    assert "kanta.E001" in result.stderr
