"""Countries and their phone numbers, from the phonenumbers library's own data.

The intake form asks for the country first; a phone number is then accepted as people write
it at home (national format, "020 7946 0958") or with its country code ("+44 20 7946 0958"),
and stored in E.164. A number only has to be possible (the right length for the country),
not on the library's list of allocated ranges, which lags behind new numbers.
"""

from functools import cache

import phonenumbers
from phonenumbers.geocoder import _region_display_name


@cache
def region_by_country() -> dict[str, str]:
    """Country name (English) -> ISO region code, for every region with phone numbers."""
    names = {}
    for region in phonenumbers.SUPPORTED_REGIONS:
        name = _region_display_name(region, "en", None, None)
        if name:
            names[name] = region
    return dict(sorted(names.items()))


def country_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in region_by_country()]


@cache
def national_examples() -> dict[str, str]:
    """Country name -> an example number as written in that country."""
    examples = {}
    for name, region in region_by_country().items():
        example = phonenumbers.example_number(region)
        if example is not None:
            examples[name] = phonenumbers.format_number(
                example, phonenumbers.PhoneNumberFormat.NATIONAL
            )
    return examples


def phone_parse(raw: str, *, country: str | None) -> str | None:
    """The number in E.164, or None when it cannot be a phone number of that country (or,
    written with a country code, of any country)."""
    region = region_by_country().get(country or "")
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return None
    # Strictly possible: a local number without its area code cannot be dialled from afar.
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
