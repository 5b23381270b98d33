"""Issue 15: the Wagtail editor's inputs that axe found unnamed. The pros, cons and comparison
values are ListBlocks of text whose inputs Wagtail renders without a label; each now carries
its child block's label as its accessible name, without changing the saved content or the
migrations. The rest (rich text boxes, the tag typing box, repeated block panels, the
minimap) are named by content/static/content/admin/editor_a11y.js, loaded in the editor."""

from __future__ import annotations

from wagtail import hooks

from content.blocks import ComparisonRowBlock, ListItemCharBlock, ProductPickBlock


def test_list_items_name_their_inputs():
    pick = ProductPickBlock()
    for name, label in (("pros", "Pro"), ("cons", "Con")):
        child = pick.child_blocks[name].child_block
        assert isinstance(child, ListItemCharBlock)
        html = child.field.widget.render(f"{name}-0-value", "Studs grip on ice", attrs={"id": f"{name}-0"})
        assert f'aria-label="{label}"' in html
    values = ComparisonRowBlock().child_blocks["values"].child_block
    assert 'aria-label="Value"' in values.field.widget.render("values-0-value", "", attrs={"id": "v0"})


def test_migrations_see_a_plain_char_block():
    child = ProductPickBlock().child_blocks["pros"].child_block
    path, _args, kwargs = child.deconstruct()
    assert path == "wagtail.blocks.CharBlock"
    assert "label" not in kwargs and kwargs["max_length"] == 120
    # The value is stored and read exactly as before.
    assert child.to_python("Light") == "Light" and child.get_prep_value("Light") == "Light"


def test_the_editor_loads_the_naming_script():
    html = "".join(str(fn()) for fn in hooks.get_hooks("insert_editor_js"))
    assert "content/admin/editor_a11y.js" in html
