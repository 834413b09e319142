"""Checks of Bot API JSON against two Telegram clients that other people wrote.

python-telegram-bot parses results with `de_json`, and aiogram validates them with pydantic models.
A result passes when both libraries parse it, aiogram's models know every field, and they dump back
to the same JSON (so no value was coerced, such as "42" into 42). aiogram 3.31 follows Bot API 10.3
and python-telegram-bot 22.8 follows 10.0, so python-telegram-bot keeps newer fields such as
ChatMemberAdministrator.can_send_welcome_messages in `api_kwargs`. Unknown fields are therefore
aiogram's to find, and python-telegram-bot's check is that it parses. A request passes when aiogram's
method model accepts its parameters in pydantic's strict mode, and both libraries know every
parameter name.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Iterator
from typing import Any

import aiogram.methods
import aiogram.types
import pydantic
import telegram
from aiogram.methods.base import Response, TelegramMethod

# python-telegram-bot's de_json needs a Bot object, and this one never connects anywhere.
PTB_BOT = telegram.Bot("123456789:FIDELITYfidelityFIDELITYfidelity")

# python-telegram-bot's class for each method's result, where a tuple means "one of these".
PTB_RESULT_TYPES: dict[str, Any] = {
    "getMe": telegram.User,
    "getUpdates": list,
    "sendMessage": telegram.Message,
    "sendPhoto": telegram.Message,
    "editMessageText": (telegram.Message, bool),
    "deleteMessage": bool,
    "answerCallbackQuery": bool,
    "getChat": telegram.ChatFullInfo,
    "getChatMember": telegram.ChatMember,
    "setWebhook": bool,
    "deleteWebhook": bool,
    "getWebhookInfo": telegram.WebhookInfo,
}


def aiogram_methods() -> dict[str, type[TelegramMethod]]:
    """Return aiogram's method models by Bot API method name, such as "sendMessage"."""
    models = {}
    for name in aiogram.methods.__all__:
        model = getattr(aiogram.methods, name)
        if isinstance(model, type) and issubclass(model, TelegramMethod) and model is not TelegramMethod:
            models[model.__api_method__] = model
    return models


AIOGRAM_METHODS = aiogram_methods()


class FidelityError(AssertionError):
    """A result or request that one of the libraries rejects, with what it rejected."""


def check_result(method: str, result: Any) -> None:
    """Raise FidelityError unless both libraries parse `result` as `method`'s return type."""
    check_result_with_ptb(method, result)
    check_result_with_aiogram(method, result)


def check_update(update: dict[str, Any]) -> None:
    """Raise FidelityError unless `update` parses as telegram.Update and aiogram.types.Update."""
    _ptb_parsed("Update", telegram.Update, update)
    _aiogram_parsed("Update", aiogram.types.Update, update)


def check_result_with_ptb(method: str, result: Any) -> None:
    if method not in PTB_RESULT_TYPES:
        raise FidelityError(f"{method}: no python-telegram-bot result type is known; add it to PTB_RESULT_TYPES")
    expected = PTB_RESULT_TYPES[method]
    kinds = expected if isinstance(expected, tuple) else (expected,)
    if bool in kinds and result is True:
        return
    if list in kinds:
        if not isinstance(result, list):
            raise FidelityError(f"{method}: expected a list of updates, got {result!r}")
        for update in result:
            _ptb_parsed(f"{method} update", telegram.Update, update)
        return
    classes = [kind for kind in kinds if kind not in (bool, list)]
    if not classes or not isinstance(result, dict):
        raise FidelityError(f"{method}: python-telegram-bot expects {expected}, got {result!r}")
    _ptb_parsed(method, classes[0], result)


def check_result_with_aiogram(method: str, result: Any) -> None:
    model = AIOGRAM_METHODS.get(method)
    if model is None:
        raise FidelityError(f"{method}: aiogram has no method model of that name")
    envelope = {"ok": True, "result": result}
    try:
        parsed = Response[model.__returning__].model_validate(envelope)
    except pydantic.ValidationError as error:
        raise FidelityError(f"{method}: aiogram rejects the result: {error}") from None
    _check_aiogram_tree(method, parsed.result, result)


def _ptb_parsed(subject: str, cls: type[telegram.TelegramObject], data: dict[str, Any]) -> telegram.TelegramObject:
    try:
        parsed = cls.de_json(data, PTB_BOT)
    except Exception as error:  # noqa: BLE001 - any failure to parse is the finding
        raise FidelityError(f"{subject}: python-telegram-bot cannot parse {data!r}: {error!r}") from None
    if not isinstance(parsed, cls):
        raise FidelityError(f"{subject}: python-telegram-bot read {data!r} as {parsed!r}, not as a {cls.__name__}")
    return parsed


def _aiogram_parsed(subject: str, cls: type[pydantic.BaseModel], data: dict[str, Any]) -> None:
    try:
        parsed = cls.model_validate(data)
    except pydantic.ValidationError as error:
        raise FidelityError(f"{subject}: aiogram rejects {data!r}: {error}") from None
    _check_aiogram_tree(subject, parsed, data)


def _check_aiogram_tree(subject: str, parsed: Any, data: Any) -> None:
    unknown = dict(_aiogram_unknown_fields(parsed, type(parsed).__name__))
    if unknown:
        raise FidelityError(f"{subject}: aiogram does not know the fields {unknown}")
    dumped = _aiogram_dump(parsed)
    if _canonical(dumped) != _canonical(data):
        raise FidelityError(
            f"{subject}: aiogram read the JSON with coerced or dropped values.\n  sent:   {_canonical(data)}\n"
            f"  parsed: {_canonical(dumped)}"
        )


def _aiogram_unknown_fields(obj: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Yield (path, value) for every field that an aiogram model kept as an extra."""
    if isinstance(obj, (list, tuple)):
        for index, item in enumerate(obj):
            yield from _aiogram_unknown_fields(item, f"{path}[{index}]")
        return
    if not isinstance(obj, pydantic.BaseModel):
        return
    for name, value in (obj.model_extra or {}).items():
        yield f"{path}.{name}", value
    for name in type(obj).model_fields:
        yield from _aiogram_unknown_fields(getattr(obj, name), f"{path}.{name}")


def _aiogram_dump(value: Any) -> Any:
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json", exclude_unset=True, by_alias=True)
    if isinstance(value, list):
        return [_aiogram_dump(item) for item in value]
    return value


def _canonical(value: Any) -> str:
    # json.dumps tells true from 1 and "1" from 1, which == on dicts does not.
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def check_request(method: str, params: dict[str, Any]) -> None:
    """Raise FidelityError unless aiogram's model of `method` accepts `params` in strict mode.

    Form values arrive as text, with non-text values JSON-encoded as python-telegram-bot sends
    them; each is decoded unless the parameter takes text.
    """
    _check_names_with_ptb(method, params)
    model = AIOGRAM_METHODS.get(method)
    if model is None:
        raise FidelityError(f"{method}: aiogram has no method of that name, so Telegram has none either")
    fields = model.model_fields
    unknown = sorted(set(params) - set(fields) - {"method"})
    if unknown:
        raise FidelityError(f"{method}: aiogram's {model.__name__} has no parameter {', '.join(unknown)}")
    nulls = sorted(name for name, value in params.items() if value is None)
    if nulls:
        # aiogram's models take None for "absent", but aiogram never sends it, and Telegram documents no null.
        raise FidelityError(f"{method}: the parameter {', '.join(nulls)} is sent as null; leave it out instead")
    values = {name: _decoded(fields[name], value) for name, value in params.items() if name != "method"}
    try:
        parsed = model.model_validate(values, strict=True)
    except pydantic.ValidationError as error:
        bad = ", ".join(".".join(str(part) for part in item["loc"]) for item in error.errors())
        raise FidelityError(f"{method}: aiogram rejects the parameter {bad}: {error}") from None
    # A union such as reply_markup's takes the first model that validates, and with extra fields
    # allowed an inline keyboard with a bad button passes as ReplyKeyboardRemove; so extras are errors.
    for name in values:
        unknown = dict(_aiogram_unknown_fields(getattr(parsed, name), name))
        if unknown:
            raise FidelityError(f"{method}: aiogram rejects the parameter {name}: no such fields {unknown}")


def _check_names_with_ptb(method: str, params: dict[str, Any]) -> None:
    """Raise FidelityError unless python-telegram-bot's Bot method takes every parameter name.

    python-telegram-bot has no runtime model of parameter types, so only the names are checked.
    """
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", method).lower()
    function = getattr(telegram.Bot, snake, None)
    if function is None:
        raise FidelityError(f"{method}: python-telegram-bot's Bot has no method {snake}")
    known = set(inspect.signature(function).parameters)
    unknown = sorted(set(params) - known - {"method"})
    if unknown:
        raise FidelityError(f"{method}: python-telegram-bot's Bot.{snake} has no parameter {', '.join(unknown)}")


def _decoded(field: pydantic.fields.FieldInfo, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        _adapter(field.annotation).validate_python(value, strict=True)
        return value
    except pydantic.ValidationError:
        pass
    try:
        return json.loads(value)
    except ValueError:
        return value


@functools.cache
def _adapter(annotation: Any) -> pydantic.TypeAdapter:
    # aiogram's Default sentinel, in parse_mode and similar annotations, is no pydantic type.
    return pydantic.TypeAdapter(annotation, config=pydantic.ConfigDict(arbitrary_types_allowed=True))
