"""The ``nfm`` command: one argparse tree, Chinese help and errors, one module per command group."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

# Each module registers one command group through ``register(subparsers)``.
COMMAND_MODULES: tuple[str, ...] = (
    "nfmaturity.cli.catalog_cmd",
    "nfmaturity.cli.score_cmd",
    "nfmaturity.cli.web_cmd",
    "nfmaturity.cli.backup_cmd",
    "nfmaturity.cli.assessment_cmd",
    "nfmaturity.cli.report_cmd",
)

# argparse's own words are English; these are the ones a user meets.
_TRANSLATIONS = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "show this help message and exit": "显示帮助并退出",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项 %(value)r（可选：%(choices)s）",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "expected one argument": "需要一个参数值",
    "invalid %(type)s value: %(value)r": "无效的%(type)s值：%(value)r",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
}


def _install_translations() -> None:
    import gettext

    def translate(message: str) -> str:
        return _TRANSLATIONS.get(message, message)

    def ntranslate(singular: str, plural: str, n: int) -> str:
        return translate(singular if n == 1 else plural)

    # argparse looks up its messages through these module-level names.
    argparse._ = translate  # type: ignore[attr-defined]
    argparse.ngettext = ntranslate  # type: ignore[attr-defined]
    gettext.textdomain("nfm")


class ChineseParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{message}\n")


def build_parser() -> argparse.ArgumentParser:
    _install_translations()
    parser = ChineseParser(
        prog="nfm",
        description="有色金属行业数字化转型成熟度评估平台：评估标准目录、自评估计分、Web 平台与数据维护。",
    )
    commands = parser.add_subparsers(title="命令", dest="command", metavar="命令", parser_class=ChineseParser)
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    code: int = handler(args)
    return code


def run() -> NoReturn:
    sys.exit(main())


if __name__ == "__main__":
    run()
