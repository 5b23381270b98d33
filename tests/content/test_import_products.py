"""`manage.py import_products`: idempotent by SKU, bad rows reported, good rows kept."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from content.models import Product

pytestmark = pytest.mark.django_db

CSV = """sku,name,brand,short_description,price,currency,store_url,tags,is_sustainable,sustainability_reason
PK-1,Kivi W240 studded tyre,Kivi,Carbide studs.,"59,90",EUR,https://shop.example/p/w240,"tyres, winter",yes,Recycled rubber compound
PK-2,,Kivi,,abc,EUR,,,maybe,
PK-3,Lumi 900 headlamp,Lumi,Bright.,89.00,EUR,https://shop.example/p/lumi,lights,no,
PK-4,Green jacket,Revontuli,,120,EUR,,,yes,
PK-1,Kivi W240 studded tyre,Kivi,Carbide studs.,59.90,EUR,https://shop.example/p/w240,"winter,tyres",yes,Recycled rubber compound
"""


def run(tmp_path, text: str, *args: str) -> str:
    path = tmp_path / "products.csv"
    path.write_text(text, encoding="utf-8")
    out = StringIO()
    call_command("import_products", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_good_bad_and_duplicate_rows(tmp_path):
    output = run(tmp_path, CSV, "--rejects", str(tmp_path / "rejects.csv"))
    assert "2 created, 0 updated, 1 unchanged, 2 rejected (of 5 rows)." in output
    tyre = Product.objects.get(sku="PK-1")
    assert str(tyre.price) == "59.90"
    assert tyre.slug == "kivi-w240-studded-tyre"
    assert sorted(tyre.tags.names()) == ["tyres", "winter"]
    assert tyre.is_sustainable
    assert "line 3 (SKU PK-2)" in output
    assert "name: This field is required." in output and "price: Enter a number." in output
    assert "is_sustainable: must be yes or no" in output
    assert "line 5 (SKU PK-4)" in output and "Say why this product is a sustainable choice." in output
    assert (tmp_path / "rejects.csv").read_text().startswith("line,sku,reasons")


def test_second_run_updates_in_place(tmp_path):
    run(tmp_path, CSV)
    changed = CSV.replace("89.00", "79.00")
    output = run(tmp_path, changed)
    assert "0 created, 1 updated, 2 unchanged" in output
    assert Product.objects.filter(sku="PK-3").get().price == 79
    assert Product.objects.count() == 2


def test_semicolon_csv_from_a_spreadsheet(tmp_path):
    output = run(tmp_path, "sku;name;price\nPK-9;Fell & Fjord poles;49,00\n")
    assert "1 created" in output
    assert Product.objects.get(sku="PK-9").price == 49


def test_missing_columns_fail_clearly(tmp_path):
    with pytest.raises(CommandError, match="no price column"):
        run(tmp_path, "sku,name\nX,Y\n")


def test_the_admin_csv_export_imports_back(tmp_path, client):
    from tests.factories import make_member

    run(tmp_path, CSV)
    admin = make_member("staff", groups=["Staff"])
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    response = client.get("/admin/snippets/content/product/?export=csv")
    exported = b"".join(response.streaming_content).decode("utf-8-sig")
    assert exported.startswith("SKU,Name,Slug")
    Product.objects.all().delete()
    output = run(tmp_path, exported)
    assert "2 created" in output and "0 rejected" in output
    assert Product.objects.get(sku="PK-1").is_sustainable


def test_editors_manage_the_catalogue_in_the_admin(client, tmp_path):
    from tests.factories import make_member

    run(tmp_path, CSV)
    editor = make_member("editor", groups=["Editors"])
    client.force_login(editor)
    assert client.get("/admin/snippets/content/product/").status_code == 200
    assert client.get("/admin/snippets/content/product/?export=csv").status_code == 200
    tyre = Product.objects.get(sku="PK-1")
    assert client.get(f"/admin/snippets/content/product/edit/{tyre.pk}/").status_code == 200
    assert client.get("/admin/snippets/content/author/add/").status_code == 200
