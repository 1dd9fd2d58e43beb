"""The command line's parser as the CLI reference (``docs/cli.rst``) renders it.

:func:`gmmkit.cli.build_parser` writes its help for a terminal, which sphinx-argparse reads as
reStructuredText. Two things would not survive that reading, and are rewritten here:

* the epilogs (``RawDescriptionHelpFormatter``): sections such as ``examples:``, ``data files:``
  and ``exit status:``, each a heading line with lines indented under it, which would run
  together or break the build. Each section becomes a heading and a literal block holding the
  very text the terminal shows. The data-files and exit-status sections, the same for every
  command, are shown once, with ``gmmkit`` itself, before the subcommands.
* ``%(choices)s`` in a help string, which argparse expands and sphinx-argparse does not.

As a Sphinx extension, the module also unwraps the paragraphs into which sphinx-argparse parses
a description or an epilog of several blocks (a ``<p>`` holding ``<p>`` and ``<pre>`` is not
HTML).
"""

from __future__ import annotations

import argparse

from docutils import nodes

from gmmkit import cli

SHARED_SECTIONS = (cli.DATA_HELP, cli.EXIT_STATUS_HELP)
#: What a paragraph cannot hold (an image, which can, is left alone).
BLOCKS = (nodes.paragraph, nodes.literal_block, nodes.rubric)


def rst_epilog(epilog: str, *, drop=()) -> str:
    """``epilog``'s sections as reStructuredText, leaving out the sections in ``drop``."""
    sections = []
    for section in epilog.split("\n\n"):
        heading, _, body = section.partition("\n")
        lines = body.splitlines()
        if heading.startswith(" ") or not heading.endswith(":") or not lines:
            raise ValueError(
                f"an epilog section is a 'heading:' line then its lines, got {section!r}"
            )
        if any(line and not line.startswith(" ") for line in lines):
            raise ValueError(f"every line under {heading!r} should be indented, got {section!r}")
        if section not in drop:
            heading = heading[:-1].capitalize()
            sections.append(f".. rubric:: {heading}\n\n.. code-block:: text\n\n{body}")
    return "\n\n".join(sections)


def expand_choices(parser: argparse.ArgumentParser) -> None:
    """Expand ``%(choices)s`` in the help of ``parser``'s arguments, as argparse does."""
    for action in parser._actions:
        if action.help and "%(choices)s" in action.help and action.choices is not None:
            action.help = action.help.replace("%(choices)s", ", ".join(map(str, action.choices)))


def reference_parser() -> argparse.ArgumentParser:
    """:func:`gmmkit.cli.build_parser`'s parser with the help rewritten for the reference."""
    parser = cli.build_parser()
    parser.description += "\n\n" + rst_epilog(parser.epilog)
    parser.epilog = None
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                subparser.epilog = rst_epilog(subparser.epilog, drop=SHARED_SECTIONS)
                expand_choices(subparser)
    return parser


def unwrap_block_paragraphs(app, doctree) -> None:
    """Replace each paragraph that holds paragraphs or literal blocks by its children."""
    for paragraph in list(doctree.findall(nodes.paragraph)):
        if any(isinstance(child, BLOCKS) for child in paragraph.children):
            paragraph.replace_self(paragraph.children)


def setup(app):
    app.connect("doctree-read", unwrap_block_paragraphs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
