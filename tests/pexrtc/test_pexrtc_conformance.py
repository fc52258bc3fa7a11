"""PexRTC has every name of the founding document, with the document's parameters.

The lists are parsed from the document's text (the shared seed when it is
beside the repository, else the vendored copy), so the test fails on any
drift: a method missing, a parameter renamed or reordered, a callback or
variable forgotten, a default different from the one documented.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from appliance import PexRTC
from appliance.pexrtc.conformance import ApiDocument, load, parse
from appliance.pexrtc.facade import (
    CALLBACK_ARGUMENTS,
    CALLBACKS,
    CHANGEABLE_IN_CALL,
    INSTANCE_VARIABLES,
    callback_arguments,
)

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / ".." / "shared" / "seeds" / "pexrtc-api-v33.txt"
VENDORED = REPO / "tests" / "data" / "pexrtc-api-v33.txt"

# Defaults the document states in prose for optional parameters.
DOCUMENTED_PARAMETER_DEFAULTS = {
    ("dialOut", "role"): "HOST",
    ("transferParticipant", "role"): "chair",
    ("renegotiate", "resend_sdp"): False,
}

# Arguments pexrtc.js passes after a callback's documented list, described
# in the document's prose: v32's overlay flag and the SSO popup choice.
DOCUMENTED_EXTRA_ARGUMENTS = {
    "onLayoutUpdate": ("overlay_text_enabled",),
    "onAuth": ("disable_popup_flow",),
}


@pytest.fixture(scope="module")
def document() -> ApiDocument:
    return load(SHARED if SHARED.exists() else VENDORED)


@pytest.fixture(scope="module")
def rtc() -> PexRTC:
    return PexRTC()


def test_conformance_vendored_copy_matches_shared_seed() -> None:
    if not SHARED.exists():
        pytest.skip("../shared/seeds is not beside the repository; the vendored copy is used")
    assert VENDORED.read_bytes() == SHARED.read_bytes()


def test_conformance_document_lists_39_methods_and_24_callbacks(document: ApiDocument) -> None:
    assert len(document.methods) == 39
    assert len(document.callbacks) == 24


def test_conformance_document_lists_19_variables_and_7_fields(document: ApiDocument) -> None:
    assert len(document.instance_variables) == 19
    assert len(document.fields) == 7


def test_conformance_every_method_has_the_document_parameter_list(document: ApiDocument) -> None:
    wrong = {}
    for name, documented in document.methods.items():
        method = getattr(PexRTC, name, None)
        if method is None or not callable(method):
            wrong[name] = "missing"
            continue
        params = tuple(inspect.signature(method).parameters)[1:]  # drop self
        if params != documented:
            wrong[name] = f"has {params}, document says {documented}"
    assert wrong == {}


def test_conformance_documented_parameter_defaults(document: ApiDocument) -> None:
    for (method, param), default in DOCUMENTED_PARAMETER_DEFAULTS.items():
        assert inspect.signature(getattr(PexRTC, method)).parameters[param].default == default


def test_conformance_every_callback_is_an_assignable_attribute(document: ApiDocument, rtc: PexRTC) -> None:
    assert tuple(document.callbacks) == CALLBACKS
    for name in document.callbacks:
        assert getattr(rtc, name) is None


def test_conformance_every_callback_is_emitted_with_the_document_arguments(document: ApiDocument) -> None:
    wrong = {}
    for name, documented in document.callbacks.items():
        expected = documented + DOCUMENTED_EXTRA_ARGUMENTS.get(name, ())
        emitted = CALLBACK_ARGUMENTS.get(name)
        if emitted != expected:
            wrong[name] = f"emitted with {emitted}, document says {expected}"
    assert wrong == {}


def test_conformance_emitting_more_arguments_than_declared_is_refused() -> None:
    with pytest.raises(TypeError, match="onPresentation"):
        callback_arguments("onPresentation", (True, "Alice <sip:a@x>", "uuid", "source", "extra"))


def test_conformance_emitting_a_callback_outside_the_document_is_refused() -> None:
    with pytest.raises(ValueError, match="onPresentationStarted"):
        callback_arguments("onPresentationStarted", ())


def test_conformance_the_core_emits_through_the_argument_table(rtc: PexRTC) -> None:
    core_emit = rtc.conference._emit  # what Conference reports through
    with pytest.raises(TypeError, match="onConnect"):
        core_emit("onConnect", None, "a second stream")


def test_conformance_instance_variables_are_the_documents(document: ApiDocument) -> None:
    assert set(INSTANCE_VARIABLES) == set(document.instance_variables)
    assert set(INSTANCE_VARIABLES) >= CHANGEABLE_IN_CALL


def test_conformance_every_instance_variable_has_the_document_default(
    document: ApiDocument, rtc: PexRTC
) -> None:
    words = {"true": True, "false": False, "none": None}
    for name, variable in document.instance_variables.items():
        value = getattr(rtc, name)
        if variable.default is None:
            assert value is None, name
        elif variable.default in words:
            assert value is words[variable.default], name
        else:
            assert value == int(variable.default), name


def test_conformance_every_field_is_readable_before_joining(document: ApiDocument, rtc: PexRTC) -> None:
    for name in document.fields:
        assert hasattr(rtc, name), name
    assert rtc.uuid is None and rtc.role is None


def test_conformance_parse_undoes_wrapped_signatures() -> None:
    text = (
        "Summary of API functions\nMethods\nMethod Description\n"
        "requestAspectRatio(aspect_\nratio) Specifies.\n"
        "\nCallbacks\nCallback Description\n"
        "onSetup(stream, pin_status, \nconference_extension) Setup.\n"
        "Variables and fields\n"
        " Instance variables\n\nuser_media_\nstream\n\nobject A stream.\n\n"
        "bandwidth_in / \nbandwidth_out\n\nnumber Kbps.\n\nDefaults: 1280; overridden.\n"
        " Fields\n\nuuid string Yours.\n Changelog\n"
    )
    parsed = parse(text)
    assert parsed.methods == {"requestAspectRatio": ("aspect_ratio",)}
    assert parsed.callbacks == {"onSetup": ("stream", "pin_status", "conference_extension")}
    assert set(parsed.instance_variables) == {"user_media_stream", "bandwidth_in", "bandwidth_out"}
    assert parsed.instance_variables["bandwidth_out"].default == "1280"
    assert set(parsed.fields) == {"uuid"}


def test_conformance_parse_names_a_missing_section() -> None:
    with pytest.raises(ValueError, match="Summary of API functions"):
        parse("no sections here")
