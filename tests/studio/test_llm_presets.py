"""LLM presets against local servers that behave as each service's documentation says.

Each preset is tried against ``FakeLLM(behaviour=...)``: the server refuses the
``response_format`` types that service refuses (HTTP 400 naming the parameter), insists on
the word "json" where DeepSeek and DashScope do, and a plain server wraps its JSON in prose.
The client must end up with valid JSON in the mode the service accepts.
"""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from laotie.core.errors import InvalidInput, ProviderError, ProviderRateLimited
from laotie.core.settings import Settings
from laotie.studio.providers.llm import OpenAICompatibleClient, json_payload
from laotie.studio.providers.llm_presets import PRESETS, StructuredMode, strict_schema
from laotie.studio.writer.llm_engine import EpisodeOut

from ._llm_server import FakeLLM


class Probe(BaseModel):
    answer: str
    number: int


ASK = [{"role": "user", "content": "打个招呼"}]


def _client(fake: FakeLLM, preset: str, **overrides: object) -> OpenAICompatibleClient:
    settings = Settings(llm_preset=preset, llm_base_url=fake.base_url, llm_model="m")
    return OpenAICompatibleClient.from_settings(
        settings, backoff_s=0.0, sleep=lambda s: None, **overrides
    )


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_each_preset_gets_valid_json_in_one_call(preset: str) -> None:
    with FakeLLM(behaviour=preset) as fake:
        client = _client(fake, preset)
        result = client.chat(ASK, json_schema=Probe.model_json_schema(), schema_name="probe")
    assert Probe.model_validate_json(result.content).answer == "老铁"
    assert len(fake.requests) == 1  # the preset's mode is the one the service accepts
    sent = fake.requests[0].get("response_format") or {}
    assert sent.get("type") == PRESETS[preset].structured.value


def test_strict_mode_lists_every_property_as_required() -> None:
    schema = strict_schema(EpisodeOut.model_json_schema())
    line = schema["$defs"]["LineOut"]  # type: ignore[index]
    assert set(line["required"]) == {"kind", "speaker", "text"}
    assert line["additionalProperties"] is False
    assert "minLength" not in str(schema) and "default" not in str(schema)
    # the model itself requires a speaker (null for an action line)
    assert "speaker" in EpisodeOut.model_json_schema()["$defs"]["LineOut"]["required"]


@pytest.mark.parametrize(
    ("behaviour", "final"),
    [
        ("deepseek", StructuredMode.JSON_OBJECT),
        ("qwen", StructuredMode.JSON_OBJECT),
        ("plain", StructuredMode.TEXT),
    ],
)
def test_a_400_naming_response_format_steps_down(behaviour: str, final: StructuredMode) -> None:
    with FakeLLM(behaviour=behaviour) as fake:
        client = _client(fake, "openai")  # asks for strict json_schema first
        first = client.chat(ASK, json_schema=Probe.model_json_schema(), schema_name="probe")
        asked = len(fake.requests)
        second = client.chat(ASK, json_schema=Probe.model_json_schema(), schema_name="probe")
    assert Probe.model_validate_json(first.content) == Probe.model_validate_json(second.content)
    assert client.structured is final
    assert len(fake.requests) == asked + 1  # the second call goes straight to the mode that works
    kinds = [(r.get("response_format") or {}).get("type") for r in fake.requests[:asked]]
    assert kinds[0] == "json_schema"
    if final is StructuredMode.TEXT:
        assert kinds[-1] is None


def test_json_object_carries_the_schema_and_the_word_json() -> None:
    with FakeLLM(behaviour="deepseek") as fake:
        _client(fake, "deepseek").chat(
            ASK, json_schema=Probe.model_json_schema(), schema_name="probe"
        )
    system = fake.requests[0]["messages"][0]
    assert system["role"] == "system" and "JSON" in system["content"]
    assert '"answer"' in system["content"]


def test_another_400_is_not_retried_nor_stepped_down() -> None:
    with FakeLLM(behaviour="openai") as fake:
        client = _client(fake, "openai")
        fake.faults = ["400"]
        with pytest.raises(ProviderError) as info:
            client.chat(ASK, json_schema=Probe.model_json_schema(), schema_name="probe")
    assert info.value.context["status"] == 400
    assert len(fake.requests) == 1 and client.structured is StructuredMode.JSON_SCHEMA


def test_429_retries_with_jitter_then_gives_up() -> None:
    slept: list[float] = []
    with FakeLLM() as fake:
        client = OpenAICompatibleClient(
            base_url=fake.base_url, model="m", max_retries=3, backoff_s=0.5, sleep=slept.append
        )
        fake.faults = ["500", "429-no-wait", "500", "429-no-wait"]
        with pytest.raises(ProviderRateLimited):
            client.chat(ASK)
    assert len(fake.requests) == 4 and len(slept) == 3
    caps = [0.5 * 2**n for n in range(3)]
    assert all(0 <= s <= cap for s, cap in zip(slept, caps, strict=True)), slept


def test_retry_after_is_honoured() -> None:
    slept: list[float] = []
    with FakeLLM() as fake:
        client = OpenAICompatibleClient(
            base_url=fake.base_url, model="m", max_retries=2, sleep=slept.append
        )
        fake.faults = ["429"]
        assert client.chat(ASK).content
    assert slept == [0.0]


def test_code_fences_and_prose_are_cut_away() -> None:
    assert json_payload('好的：\n```json\n{"a": 1}\n```\n完毕') == '{"a": 1}'
    assert json_payload('结果是 {"a": {"b": 2}} 。') == '{"a": {"b": 2}}'


def test_unknown_preset_and_mode_are_named() -> None:
    with pytest.raises(InvalidInput) as info:
        OpenAICompatibleClient.from_settings(Settings(llm_preset="nope", llm_model="m"))
    assert info.value.context["field"] == "LAOTIE_LLM_PRESET"
    with pytest.raises(InvalidInput) as info:
        OpenAICompatibleClient.from_settings(
            Settings(llm_preset="vllm", llm_model="m", llm_structured="yaml")
        )
    assert info.value.context["field"] == "LAOTIE_LLM_STRUCTURED"


def test_llm_check_command_reports_the_mode_that_worked(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from laotie.cli import app
    from laotie.core.settings import get_settings

    with FakeLLM(behaviour="deepseek") as fake:
        monkeypatch.setenv("LAOTIE_LLM_PRESET", "openai")
        monkeypatch.setenv("LAOTIE_LLM_BASE_URL", fake.base_url)
        monkeypatch.setenv("LAOTIE_LLM_MODEL", "deepseek-chat")
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["studio", "llm", "check", "--json"])
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert '"used_mode": "json_object"' in result.output
    assert '"asked_mode": "json_schema"' in result.output


def test_llm_check_without_a_provider_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from laotie.cli import app
    from laotie.core.settings import get_settings

    monkeypatch.delenv("LAOTIE_LLM_PRESET", raising=False)
    monkeypatch.setenv("LAOTIE_LLM_BASE_URL", "")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["studio", "llm", "check"])
    get_settings.cache_clear()
    assert result.exit_code != 0
    assert "LAOTIE_LLM" in result.output
