from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def styled(field: BoundField) -> SafeString:
    """Render a form field's widget with the UI kit's classes (and the invalid state)."""
    css = "form-select" if field.widget_type in ("select", "selectmultiple") else "form-control"
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css})
