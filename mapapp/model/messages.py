"""Messages of the file readers, the validators and the command line, in Spanish and
English: a catalog of keys with a template in each language, messages kept as one
compact text code (a key and its parameters), and ``render(message, lang)``.

A reader makes a message with ``msg(key, **params)``: a text (a ``Message``) that holds
the key and the parameters as JSON behind a mark, so that a file's million issues keep
sharing their codes (``ingest.rows``) and are put into words only when shown, in the
language of whoever reads them. ``render`` of any other text gives it back as it is.

Parameters are values, never templates: a text parameter (a cell as ``shown`` quotes
it, a file name) is put in as it is; a number in the reader's format (spec ``n``: es
``1.234,5``, en ``1,234.5``; spec ``v``: a value as read, without grouping: es ``-6,5``);
spec ``w``: a word put into the language (``WORDS``, else i18n's ``t``); a message
inside a message (made with ``msg``) is rendered in the same language; a list of them
is joined (spec ``;`` by "; ", ``or`` by "or"/"o", else by ", "). The output is plain text:
callers escape it as they escaped the English messages before.
"""

from __future__ import annotations

import json
import math
import string
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache

from mapapp.model.catalog import LANGS, Lang
from mapapp.model.i18n import TEXT, t

MARK = "\x1e"  # a message code starts with it; no other message text does
_CACHED_CHARS = 400  # longer codes are rendered each time, not remembered


class Message(str):
    """A message code, as ``msg`` makes it: a text, so that it is stored as one."""

    __slots__ = ()

    def __reduce__(self):  # pickled as plain text: it reads back the same way
        return str, (str(self),)


# key → {lang: template}. Placeholders: {name}, {name:n}, {name:v}, {name:w}, {name:;}.
CATALOG: dict[str, dict[str, str]] = {
    # --- a whole file (UnreadableFileError) ---------------------------------------
    "file_too_large": {
        "en": "{file}: {mb:n} MB ({size:n} bytes) is more than the {limit:n} MB limit; "
              "split the file (by year or department)",
        "es": "{file}: {mb:n} MB ({size:n} bytes) supera el límite de {limit:n} MB; "
              "divida el archivo (por año o por departamento)"},
    "file_empty": {"en": "{file}: the file is empty", "es": "{file}: el archivo está vacío"},
    "old_xls": {
        "en": "{file}: this is an old Excel .xls file or a password-protected workbook; "
              "save it as .xlsx (without a password) or as CSV",
        "es": "{file}: es un archivo antiguo de Excel (.xls) o un libro protegido con "
              "contraseña; guárdelo como .xlsx (sin contraseña) o como CSV"},
    "too_many_rows": {
        "en": "{file}: more than {limit:n} rows, the limit (row {row:n} holds data); "
              "split the file (by year or department)",
        "es": "{file}: más de {limit:n} filas, el límite (la fila {row:n} tiene datos); "
              "divida el archivo (por año o por departamento)"},
    "too_many_values": {
        "en": "{file}: more than {limit:n} values, the limit (row {row:n} goes past it); "
              "split the file (by year or department)",
        "es": "{file}: más de {limit:n} valores, el límite (la fila {row:n} lo supera); "
              "divida el archivo (por año o por departamento)"},
    "too_wide": {
        "en": "{file}: {where} has a value in column {column:n}, beyond the {limit:n} "
              "columns allowed; delete what lies right of the table, or save the table alone",
        "es": "{file}: {where} tiene un valor en la columna {column:n}, más allá de las "
              "{limit:n} columnas permitidas; borre lo que está a la derecha de la tabla, o "
              "guarde la tabla sola"},
    "where_line": {"en": "line {line:n}", "es": "la línea {line:n}"},
    "where_sheet_row": {"en": "row {row:n} of sheet {sheet}",
                        "es": "la fila {row:n} de la hoja {sheet}"},
    "where_cell": {"en": "cell {cell} of sheet {sheet}",
                   "es": "la celda {cell} de la hoja {sheet}"},
    "where_shared_string": {"en": "shared string {number:n}",
                            "es": "el texto compartido {number:n}"},
    "more_than": {"en": "more than {count:n}", "es": "más de {count:n}"},
    "binary_text": {
        "en": "{file}: binary content, not a text table; upload a CSV or an .xlsx workbook",
        "es": "{file}: contenido binario, no una tabla de texto; suba un CSV o un libro .xlsx"},
    "bad_encoding": {"en": "{file}: text is not valid {encoding}",
                     "es": "{file}: el texto no es {encoding} válido"},
    "csv_error": {
        "en": "{file}: not a readable CSV ({error}, row {row:n} of the file)",
        "es": "{file}: no es un CSV legible ({error}, fila {row:n} del archivo)"},
    "csv_cell_too_long": {
        "en": "{file}: row {row:n} of the file has a cell of {length:n} characters, more than "
              "the {limit:n} a cell may hold; check the separator and the quotes (a quote left "
              "open runs on to the end of the file)",
        "es": "{file}: la fila {row:n} del archivo tiene una celda de {length:n} caracteres, más "
              "de los {limit:n} que admite una celda; revise el separador y las comillas (una "
              "comilla sin cerrar sigue hasta el final del archivo)"},
    "no_header": {
        "en": "{file}: no header row found in the first {rows:n} rows. Expected columns such "
              "as ubigeo or Departamento/Provincia/Distrito, Año, Indicador and Valor, or one "
              "column per indicator id (for example families_supported)",
        "es": "{file}: no se encontró una fila de encabezado en las primeras {rows:n} filas. "
              "Se esperan columnas como ubigeo o Departamento/Provincia/Distrito, Año, "
              "Indicador y Valor, o una columna por indicador (por ejemplo families_supported)"},
    "no_sheet_header": {
        "en": "{file}: no sheet has a header row. Expected columns such as ubigeo or "
              "Departamento/Provincia/Distrito, Año, Indicador and Valor",
        "es": "{file}: ninguna hoja tiene una fila de encabezado. Se esperan columnas como "
              "ubigeo o Departamento/Provincia/Distrito, Año, Indicador y Valor"},
    "xlsx_unreadable": {
        "en": "{file}: not a readable .xlsx workbook ({error}); save it again from Excel, "
              "or as CSV",
        "es": "{file}: no es un libro .xlsx legible ({error}); guárdelo de nuevo desde Excel, "
              "o como CSV"},
    "xlsx_not_readable": {"en": "{file}: not a readable .xlsx workbook ({error})",
                          "es": "{file}: no es un libro .xlsx legible ({error})"},
    "xlsx_damaged": {"en": "{file}: damaged .xlsx workbook ({error})",
                     "es": "{file}: libro .xlsx dañado ({error})"},
    "xlsx_damaged_sheet": {"en": "{file}: damaged .xlsx workbook (sheet {sheet}: {error})",
                           "es": "{file}: libro .xlsx dañado (hoja {sheet}: {error})"},
    "zip_bomb": {
        "en": "{file}: the workbook would unpack to {mb:n} MB, more than the {limit:n} MB "
              "allowed; it is damaged or hostile. Save the data as CSV",
        "es": "{file}: el libro se descomprimiría a {mb:n} MB, más de los {limit:n} MB "
              "permitidos; está dañado o es hostil. Guarde los datos como CSV"},
    "part_too_big": {
        "en": "{file}: the workbook part {part} unpacks to {size:n} bytes, more than the "
              "{limit:n} allowed; save the data as CSV",
        "es": "{file}: la parte {part} del libro se descomprime a {size:n} bytes, más de los "
              "{limit:n} permitidos; guarde los datos como CSV"},
    "too_many_tags": {
        "en": "{file}: the workbook's XML has more than {limit:n} tags, more than {cells:n} "
              "cells need; save the table alone, or as CSV",
        "es": "{file}: el XML del libro tiene más de {limit:n} etiquetas, más de las que "
              "necesitan {cells:n} celdas; guarde la tabla sola, o como CSV"},
    "too_many_styles": {
        "en": "{file}: more than {limit:n} cell styles, more than Excel allows; the workbook "
              "is damaged. Save the data as CSV",
        "es": "{file}: más de {limit:n} estilos de celda, más de los que Excel permite; el "
              "libro está dañado. Guarde los datos como CSV"},
    "shared_chars": {
        "en": "{file}: the workbook's shared strings hold more than {limit:n} characters, the "
              "most allowed (as much text as a CSV at the upload limit); save the data as CSV",
        "es": "{file}: los textos compartidos del libro suman más de {limit:n} caracteres, el "
              "máximo permitido (tanto texto como un CSV en el límite de subida); guarde los "
              "datos como CSV"},
    "shared_count": {
        "en": "{file}: the workbook has more than {limit:n} distinct texts (shared strings), "
              "the most allowed; save the data as CSV",
        "es": "{file}: el libro tiene más de {limit:n} textos distintos (textos compartidos), "
              "el máximo permitido; guarde los datos como CSV"},
    "cell_too_long": {
        "en": "{file}: {where} has {length:n} characters, more than the {limit:n} a cell may "
              "hold; shorten it, or save the table alone",
        "es": "{file}: {where} tiene {length:n} caracteres, más de los {limit:n} que admite "
              "una celda; acórtela, o guarde la tabla sola"},
    "sheet_cells": {
        "en": "{file}: sheet {sheet} holds more than {limit:n} cells, the most allowed; save "
              "the table alone, or as CSV",
        "es": "{file}: la hoja {sheet} tiene más de {limit:n} celdas, el máximo permitido; "
              "guarde la tabla sola, o como CSV"},
    "sheet_claims": {
        "en": "{file}: sheet {sheet} claims {rows:n} × {columns:n} cells, more than the "
              "{limit:n} allowed; copy the table into a new workbook, or save it as CSV",
        "es": "{file}: la hoja {sheet} declara {rows:n} × {columns:n} celdas, más de las "
              "{limit:n} permitidas; copie la tabla en un libro nuevo, o guárdela como CSV"},
    "read_timeout": {
        "en": "{file}: reading took longer than {seconds:n} s, the limit; split the file into "
              "smaller ones",
        "es": "{file}: la lectura tardó más de {seconds:n} s, el límite; divida el archivo en "
              "otros más pequeños"},
    "read_failed": {"en": "{file}: the file could not be read (the reading stopped)",
                    "es": "{file}: no se pudo leer el archivo (la lectura se detuvo)"},
    "read_failed_memory": {
        "en": "{file}: the file could not be read (the reading stopped, out of memory)",
        "es": "{file}: no se pudo leer el archivo (la lectura se detuvo, sin memoria)"},
    "not_results": {
        "en": "{file}: not a results table; missing column(s): {missing:;}. Columns found: "
              "{found}",
        "es": "{file}: no es una tabla de resultados; falta(n) la(s) columna(s): {missing:;}. "
              "Columnas encontradas: {found}"},
    "missing_place": {"en": "a place (ubigeo, or Departamento/Provincia/Distrito)",
                      "es": "un lugar (ubigeo, o Departamento/Provincia/Distrito)"},
    "missing_column": {"en": "{column:w} ({header})", "es": "{column:w} ({header})"},
    "none_found": {"en": "none", "es": "ninguna"},
    "formula_unsaved": {
        "en": "formula without a saved value: open the file in Excel and save it, or paste "
              "values",
        "es": "fórmula sin valor guardado: abra el archivo en Excel y guárdelo, o pegue los "
              "valores"},
    # --- results rows ---------------------------------------------------------------
    "no_value": {"en": "no value: every indicator cell is empty",
                 "es": "sin valor: todas las celdas de indicadores están vacías"},
    "year_empty": {"en": "year is empty", "es": "el año está vacío"},
    "year_not_whole": {"en": "year {cell} is not a whole year like 2021",
                       "es": "el año {cell} no es un año entero como 2021"},
    "year_outside": {"en": "year {year} is outside {first}–{last}",
                     "es": "el año {year} está fuera de {first}–{last}"},
    "value_empty": {"en": "value is empty", "es": "el valor está vacío"},
    "value_not_number": {
        "en": "value {cell} is not a number (this file writes decimals with a {mark:w})",
        "es": "el valor {cell} no es un número (este archivo escribe los decimales con "
              "{mark:w})"},
    "value_problem": {"en": "value {cell} {problem}", "es": "el valor {cell} {problem}"},
    "is_not_number": {"en": "is not a number", "es": "no es un número"},
    "out_of_range": {
        "en": "is out of range: beyond ±{limit:n}, more than any indicator can hold",
        "es": "está fuera de rango: más allá de ±{limit:n}, más de lo que admite cualquier "
              "indicador"},
    "value_negative": {"en": "value {value:v} is negative", "es": "el valor {value:v} es negativo"},
    "value_above_share": {
        "en": "value {value:v} is above {most:v} %, impossible for a share",
        "es": "el valor {value:v} supera el {most:v} %, imposible para una proporción"},
    "value_check": {"en": "value {value:v} % is above {most:v} %: please check it",
                    "es": "el valor {value:v} % supera el {most:v} %: revíselo"},
    "value_ambiguous": {
        "en": "value {cell} is ambiguous: read as {value:v} (decimal {mark:w}); it could also "
              "mean {other:v}. Nothing else in the file shows its decimal mark: check it, or "
              "write it without a thousands separator",
        "es": "el valor {cell} es ambiguo: se leyó como {value:v} ({mark:w} decimal); también "
              "podría ser {other:v}. Nada más en el archivo muestra su separador decimal: "
              "revíselo, o escríbalo sin separador de miles"},
    "indicator_empty": {"en": "indicator is empty", "es": "el indicador está vacío"},
    "indicator_unknown": {"en": "unknown indicator {text}; use one of {ids}",
                          "es": "indicador desconocido {text}; use uno de {ids}"},
    "chain_unknown": {
        "en": "unknown value chain {text}; use one of {ids} or leave it empty",
        "es": "cadena de valor desconocida {text}; use una de {ids} o déjela vacía"},
    "chain_not_split": {
        "en": "indicator {indicator} is not split by value chain; leave the value chain empty",
        "es": "el indicador {indicator} no se divide por cadena de valor; deje vacía la "
              "cadena de valor"},
    "duplicate_added": {
        "en": "same place, year, value chain and indicator as row {row:n}: the values are added",
        "es": "mismo lugar, año, cadena de valor e indicador que la fila {row:n}: los valores "
              "se suman"},
    "duplicate_share": {
        "en": "duplicate of row {row:n}: a percentage cannot be added; keep one row per place "
              "and year",
        "es": "duplicado de la fila {row:n}: un porcentaje no se puede sumar; deje una fila "
              "por lugar y año"},
    "blank_rows": {"en": "{count} empty row(s) skipped: {rows}",
                   "es": "{count} fila(s) vacía(s) omitida(s): {rows}"},
    "columns_unused": {"en": "column(s) not used: {columns}",
                       "es": "columna(s) no usada(s): {columns}"},
    # --- places ------------------------------------------------------------------------
    "ubigeo_bad": {"en": "ubigeo {code} is not a code of 2, 4 or 6 digits",
                   "es": "el ubigeo {code} no es un código de 2, 4 o 6 dígitos"},
    "ubigeo_restored": {
        "en": "ubigeo {code} read as {restored}: its leading zero was lost, probably in a "
              "spreadsheet",
        "es": "el ubigeo {code} se leyó como {restored}: perdió su cero inicial, "
              "probablemente en una hoja de cálculo"},
    "ubigeo_not_in_edition": {
        "en": "ubigeo {code} is not a {level:w} in boundary edition {edition} (places created "
              "after 2007 are not in it)",
        "es": "el ubigeo {code} no existe como {level:w} en la edición de límites {edition} "
              "(los lugares creados después de 2007 no están en ella)"},
    "name_mismatch": {
        "en": "{column:w} {given} does not match ubigeo {code} ({actual}); the ubigeo is used",
        "es": "{column:w} {given} no coincide con el ubigeo {code} ({actual}); se usa el "
              "ubigeo"},
    "no_place": {
        "en": "no place: give a ubigeo or the names of department, province and/or district",
        "es": "sin lugar: indique un ubigeo o los nombres de departamento, provincia y/o "
              "distrito"},
    "place_unknown": {"en": "unknown {level:w} {name}{where}{suggest}",
                      "es": "nombre de {level:w} desconocido: {name}{where}{suggest}"},
    "place_ambiguous": {
        "en": "ambiguous {level:w} {name}{where}: {count:n} places have this name ({listed}); "
              "add its province and department, or the ubigeo",
        "es": "nombre de {level:w} ambiguo: {name}{where}: {count:n} lugares tienen este nombre "
              "({listed}); añada su provincia y departamento, o el ubigeo"},
    "place_where": {"en": " in {parents}", "es": " en {parents}"},
    "place_parent": {"en": "{level:w} {name}", "es": "{level:w} {name}"},
    "did_you_mean": {"en": "; did you mean {names:or}?", "es": "; ¿quiso decir {names:or}?"},
    "quoted": {"en": "{text}", "es": "{text}"},
    "cut_cell": {"en": "{text} ({length:n} characters)", "es": "{text} ({length:n} caracteres)"},
    "too_long_to_print": {"en": "a number too long to print",
                          "es": "un número demasiado largo para mostrarlo"},
    # --- localities rows -------------------------------------------------------------
    "name_empty": {"en": "name is empty", "es": "el nombre está vacío"},
    "lat_not_number": {"en": "lat {cell} is not a number",
                       "es": "la latitud {cell} no es un número"},
    "lon_not_number": {"en": "lon {cell} is not a number",
                       "es": "la longitud {cell} no es un número"},
    "outside_peru": {
        "en": "position {lat:v}, {lon:v} is outside Peru (lat and lon swapped?)",
        "es": "la posición {lat:v}; {lon:v} está fuera del Perú (¿latitud y longitud "
              "invertidas?)"},
    "no_position": {"en": "no position: give lat and lon, or the district ubigeo",
                    "es": "sin posición: indique latitud y longitud, o el ubigeo del distrito"},
    "no_shape": {"en": "district {code} has no shape in {edition}; give lat and lon",
                 "es": "el distrito {code} no tiene forma en {edition}; indique latitud y "
                       "longitud"},
    "placed_in_district": {"en": "no lat/lon: placed inside its district",
                           "es": "sin latitud/longitud: ubicada dentro de su distrito"},
    "outside_district": {
        "en": "position {lat:v}, {lon:v} lies outside district {code}; the ubigeo is kept",
        "es": "la posición {lat:v}; {lon:v} queda fuera del distrito {code}; se mantiene el "
              "ubigeo"},
    "not_a_district": {"en": "ubigeo {code} is not a district (6 digits)",
                       "es": "el ubigeo {code} no es un distrito (6 dígitos)"},
    "in_no_district": {"en": "position {lat:v}, {lon:v} is in no district of {edition}",
                       "es": "la posición {lat:v}; {lon:v} no está en ningún distrito de "
                             "{edition}"},
    "year_not_year": {"en": "year {cell} is not a year in {first}–{last}",
                      "es": "el año {cell} no es un año de {first}–{last}"},
    "connection_unknown": {
        "en": "unknown connection type {text}; use móvil/mobile, fijo/fixed or fijo y "
              "móvil/fixed and mobile",
        "es": "tipo de conexión desconocido {text}; use móvil/mobile, fijo/fixed o fijo y "
              "móvil/fixed and mobile"},
    # --- the command line's report -----------------------------------------------------
    "cli_summary": {
        "en": "{file}: {total:n} rows, {valid:n} valid, {rejected:n} rejected ({info})",
        "es": "{file}: {total:n} filas, {valid:n} válidas, {rejected:n} rechazadas ({info})"},
    "cli_info": {"en": "{name:w}: {value}", "es": "{name:w}: {value}"},
    "cli_info_word": {"en": "{name:w}: {value:w}", "es": "{name:w}: {value:w}"},
    "cli_error_line": {"en": "  row {row:n}, {column}: {message}",
                       "es": "  fila {row:n}, {column}: {message}"},
    "cli_warning_row": {"en": "  warning, row {row:n}, {column}: {message}",
                        "es": "  advertencia, fila {row:n}, {column}: {message}"},
    "cli_warning_file": {"en": "  warning, file: {message}",
                         "es": "  advertencia, archivo: {message}"},
    "cli_totals": {"en": "totals (input = valid + rejected):",
                   "es": "totales (entrada = válidos + rechazados):"},
    "cli_total_line": {"en": "  {indicator}: {input} = {valid} + {rejected}",
                       "es": "  {indicator}: {input} = {valid} + {rejected}"},
    "cli_too_large": {
        "en": "{file}: {mb:n} MB is more than the {limit:n} MB limit; split the file (by year "
              "or department)",
        "es": "{file}: {mb:n} MB supera el límite de {limit:n} MB; divida el archivo (por año "
              "o por departamento)"},
    "cli_folder": {"en": "{path} is a folder; give the path of a CSV or XLSX file",
                   "es": "{path} es una carpeta; indique la ruta de un archivo CSV o XLSX"},
    "cli_cannot_read": {"en": "cannot read {path}: {error}",
                        "es": "no se puede leer {path}: {error}"},
    "cli_none_valid": {"en": "{path}: none of its {total:n} rows is valid; {see_why}",
                       "es": "{path}: ninguna de sus {total:n} filas es válida; {see_why}"},
    "cli_some_rejected": {
        "en": "warning: {rejected:n} of {total:n} rows rejected and left out of {path}; "
              "{see_why}",
        "es": "advertencia: {rejected:n} de {total:n} filas rechazadas y dejadas fuera de "
              "{path}; {see_why}"},
    "cli_see_validate": {"en": "see them with: python -m mapapp validate {path}",
                         "es": "véalas con: python -m mapapp validate {path}"},
    "cli_see_app": {"en": "open the file in the app to see why",
                    "es": "abra el archivo en la aplicación para ver por qué"},
    "cli_wrote_rejected": {"en": "wrote the rejected rows to {path}",
                           "es": "filas rechazadas escritas en {path}"},
    "cli_published": {
        "en": "published {ref}: {valid:n} valid rows, {rejected:n} rejected ({database})",
        "es": "publicado {ref}: {valid:n} filas válidas, {rejected:n} rechazadas ({database})"},
    "cli_no_datasets": {"en": "no dataset has been published yet",
                        "es": "todavía no se ha publicado ningún conjunto de datos"},
    "cli_dataset_line": {
        "en": "{slug}  “{title}”  {versions:n} versions, latest {latest}, by {by} "
              "at {at}{retired}",
        "es": "{slug}  «{title}»  {versions:n} versiones, última {latest}, por {by} "
              "el {at}{retired}"},
    "cli_retired": {"en": "  (retired)", "es": "  (retirado)"},
    "cli_retired_done": {"en": "retired {ref} (by {by}); its data is kept",
                         "es": "retirado {ref} (por {by}); sus datos se conservan"},
    "cli_backup_done": {
        "en": "wrote {path}: {datasets:n} datasets, {versions:n} versions, "
              "{audit:n} audit entries",
        "es": "escrito {path}: {datasets:n} conjuntos, {versions:n} versiones, "
              "{audit:n} entradas del registro"},
    "cli_restore_done": {
        "en": "restored {path}: {datasets:n} datasets, {versions:n} versions, "
              "{audit:n} audit entries",
        "es": "restaurado {path}: {datasets:n} conjuntos, {versions:n} versiones, "
              "{audit:n} entradas del registro"},
    # --- dataset store ---
    "store_unavailable": {
        "en": "the dataset store {url} cannot be reached ({reason}); {hint}",
        "es": "no se puede acceder al almacén de datos {url} ({reason}); {hint}"},
    "store_hint_locked": {
        "en": "another process holds it locked; try again in a moment",
        "es": "otro proceso lo tiene bloqueado; vuelva a intentarlo en un momento"},
    "store_hint_sqlite": {
        "en": "check that its folder exists and can be written, or set MAPAPP_DATA_DIR or "
              "MAPAPP_DATABASE_URL",
        "es": "compruebe que su carpeta existe y admite escritura, o defina MAPAPP_DATA_DIR o "
              "MAPAPP_DATABASE_URL"},
    "store_hint_postgres": {
        "en": "check that PostgreSQL is running and that MAPAPP_DATABASE_URL gives the right "
              "host, port, database, user and password",
        "es": "compruebe que PostgreSQL está en marcha y que MAPAPP_DATABASE_URL indica el "
              "servidor, puerto, base de datos, usuario y contraseña correctos"},
    "store_unsupported": {
        "en": "{url}: the dataset store works with SQLite (sqlite:///path) or PostgreSQL "
              "(postgresql://…) only",
        "es": "{url}: el almacén de datos solo funciona con SQLite (sqlite:///ruta) o "
              "PostgreSQL (postgresql://…)"},
    "store_newer": {
        "en": "the dataset store {url} was written by a newer version of mapapp (schema "
              "{revision}); update mapapp to open it",
        "es": "el almacén de datos {url} fue escrito por una versión más nueva de mapapp "
              "(esquema {revision}); actualice mapapp para abrirlo"},
    "store_not_found": {"en": "there is no dataset named {slug}",
                        "es": "no hay ningún conjunto de datos llamado {slug}"},
    "store_version_not_found": {"en": "dataset {slug} has no version {version}",
                                "es": "el conjunto de datos {slug} no tiene versión {version}"},
    "store_retired": {"en": "dataset {slug} was retired by {by} on {at}",
                      "es": "el conjunto de datos {slug} fue retirado por {by} el {at}"},
    "store_version_retired": {
        "en": "version {version} of dataset {slug} was retired by {by} on {at}",
        "es": "la versión {version} del conjunto de datos {slug} fue retirada por {by} el {at}"},
    "store_already_retired": {"en": "{what}; nothing changed", "es": "{what}; no se cambió nada"},
    "store_publish_retired": {"en": "{what}; publish under another name",
                              "es": "{what}; publique con otro nombre"},
    "store_bad_slug": {
        "en": "{value} is not a valid dataset name: use 1 to 63 characters, lowercase letters "
              "a-z, digits and hyphens, beginning with a letter or a digit",
        "es": "{value} no es un nombre de conjunto de datos válido: use de 1 a 63 caracteres, "
              "letras minúsculas a-z, dígitos y guiones, empezando por una letra o un dígito"},
    "store_bad_ref": {
        "en": "{value} is not a dataset reference: write name or name@version, the version "
              "a whole number from 1",
        "es": "{value} no es una referencia a un conjunto de datos: escriba nombre o "
              "nombre@versión, la versión un número entero desde 1"},
    "store_too_long": {"en": "the {field} has {length:n} characters, more than the {limit:n} "
                             "allowed",
                       "es": "el campo {field} tiene {length:n} caracteres, más de los "
                             "{limit:n} permitidos"},
    "store_field_empty": {"en": "the {field} is empty", "es": "el campo {field} está vacío"},
    "store_field_title": {"en": "title", "es": "título"},
    "store_field_note": {"en": "note", "es": "nota"},
    "store_field_by": {"en": "user name", "es": "nombre de usuario"},
    "store_no_valid_rows": {
        "en": "{file}: none of its {total:n} rows is valid; there is nothing to publish",
        "es": "{file}: ninguna de sus {total:n} filas es válida; no hay nada que publicar"},
    "store_not_empty": {
        "en": "a backup is restored into an empty store only, and {url} already holds "
              "datasets ({count:n}); restore into a new database (MAPAPP_DATA_DIR or "
              "MAPAPP_DATABASE_URL)",
        "es": "una copia de seguridad solo se restaura en un almacén vacío, y {url} ya tiene "
              "conjuntos de datos ({count:n}); restáurela en una base de datos nueva "
              "(MAPAPP_DATA_DIR o MAPAPP_DATABASE_URL)"},
    "store_bad_backup": {"en": "{file} cannot be restored: {reason}; nothing was restored",
                         "es": "{file} no se puede restaurar: {reason}; no se restauró nada"},
    "store_backup_not_zip": {"en": "it is not a zip file", "es": "no es un archivo zip"},
    "store_backup_no_manifest": {
        "en": "it has no manifest.json, so it is not a mapapp backup",
        "es": "no tiene manifest.json, así que no es una copia de seguridad de mapapp"},
    "store_backup_unexpected": {"en": "it holds {name}, which a mapapp backup never holds",
                                "es": "contiene {name}, que una copia de mapapp nunca contiene"},
    "store_backup_missing": {"en": "its manifest lists {name}, which it does not hold",
                             "es": "su manifiesto menciona {name}, que no contiene"},
    "store_backup_too_large": {"en": "{name} is larger than {limit:n} bytes",
                               "es": "{name} ocupa más de {limit:n} bytes"},
    "store_backup_bad_entry": {
        "en": "{name} is damaged or not what its manifest says ({error})",
        "es": "{name} está dañado o no es lo que dice su manifiesto ({error})"},
    "store_backup_bad_manifest": {"en": "its manifest.json is not valid ({error})",
                                  "es": "su manifest.json no es válido ({error})"},
    "store_bad_data": {
        "en": "version {version} of dataset {slug}: its stored data cannot be read ({error})",
        "es": "versión {version} del conjunto de datos {slug}: sus datos guardados no se "
              "pueden leer ({error})"},
    "store_cannot_write": {"en": "cannot write {path}: {error}",
                           "es": "no se puede escribir {path}: {error}"},
}

# Words a message puts into the language (spec ``w``); others come from i18n's ``t``,
# and a word in neither (an encoding, "xlsx") is kept as it is.
WORDS: dict[str, dict[str, str]] = {
    "comma": {"es": "coma", "en": "comma"},
    "point": {"es": "punto", "en": "point"},
    "semicolon": {"es": "punto y coma", "en": "semicolon"},
    "tab": {"es": "tabulador", "en": "tab"},
    "long": {"es": "larga", "en": "long"},
    "wide": {"es": "ancha", "en": "wide"},
    "or": {"es": "o", "en": "or"},
    "encoding": {"es": "codificación", "en": "encoding"},
    "delimiter": {"es": "separador", "en": "delimiter"},
    "sheet": {"es": "hoja", "en": "sheet"},
    "format": {"es": "formato", "en": "format"},
    "layout": {"es": "disposición", "en": "layout"},
    "decimal": {"es": "decimal", "en": "decimal"},
    "value_chain": {"es": "cadena de valor", "en": "value chain"},
    "name": {"es": "nombre", "en": "name"},
}
_I18N_WORDS = ("department", "province", "district", "year", "value", "indicator")
_JOINS = {";": "; ", ",": ", ", "": ", "}


def msg(key: str, /, **params: object) -> Message:
    """The code of message ``key`` with ``params`` (a text, a number, a message, a list
    of messages); ``render`` puts it into words."""
    names = _params(key)
    missing = set(names) ^ set(params)
    if missing:
        raise TypeError(f"message {key!r}: parameters {sorted(missing)} do not fit")
    values = [_as_param(params[name]) for name in names]
    return Message(MARK + json.dumps([key, *values], ensure_ascii=False,
                                     separators=(",", ":")))


def key_of(message: str) -> str | None:
    """The key of a message code; None for any other text."""
    if not message.startswith(MARK):
        return None
    return message[3:message.index('"', 3)] if message.startswith(MARK + '["') else None


def is_message(text: object) -> bool:
    return isinstance(text, str) and text.startswith(MARK + "[")


def render(message: str, lang: Lang = "en") -> str:
    """The message in ``lang`` (a text that is no message code comes back as it is)."""
    if not is_message(message):
        return message
    if len(message) <= _CACHED_CHARS:
        return _render_cached(message, lang)
    return _render_code(message, lang)


def reasons_code(pairs: Iterable[tuple[str, str]]) -> str:
    """One rejected row's reasons, (column, message) each, as one code (see
    ``render_reasons``): made from texts alone, the messages are not read."""
    parts = []
    for column, message in pairs:
        body = message[1:] if is_message(message) else json.dumps(message, ensure_ascii=False)
        parts.append(f"{json.dumps(column, ensure_ascii=False)},{body}")
    return MARK + "[" + ",".join(parts) + "]"


def join_reasons(codes: Iterable[str]) -> str:
    """Reason codes of one row (``reasons_code``) as one code, in their order."""
    return MARK + "[" + ",".join(code[2:-1] for code in codes) + "]"


def render_reasons(code: str, lang: Lang = "en") -> str:
    """A row's reasons in ``lang``: "column: message" of each, joined by "; "."""
    if not is_message(code):
        return code
    try:
        items = json.loads(code[1:])
    except ValueError:
        return code
    return "; ".join(f"{column}: {_value(message, '', lang)}"
                     for column, message in zip(items[::2], items[1::2], strict=False))


def word(name: str, lang: Lang) -> str:
    """A word of a message in ``lang``: WORDS, then i18n (lower case), else as it is."""
    found = WORDS.get(name)
    if found is not None:
        return found[lang]
    if name in _I18N_WORDS and name in TEXT:
        text = t(name, lang)
        return text[:1].lower() + text[1:]
    return name


def number_text(value: float, lang: Lang, grouped: bool = True) -> str:
    """A number in the reader's format, every digit kept (es ``1.234,5``, en ``1,234.5``);
    ``grouped=False``: no thousands marks (a value as a file writes it, es ``1234,5``)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        whole, fraction = str(abs(int(value))), ""
    else:
        text = repr(abs(float(value)))
        if "e" in text or "E" in text:
            return text if lang == "en" else text.replace(".", ",")
        whole, _, fraction = text.partition(".")
    sign = "-" if value < 0 else ""
    thousands, decimal = (".", ",") if lang == "es" else (",", ".")
    if grouped and len(whole) > 3:
        whole = f"{int(whole):,}".replace(",", thousands)
    return sign + whole + (decimal + fraction if fraction else "")


def messages_in(messages: Iterable[str], lang: Lang) -> list[str]:
    return [render(m, lang) for m in messages]


# --- inside -------------------------------------------------------------------------

_PARSER = string.Formatter()


@cache
def _compiled(key: str, lang: str) -> tuple[tuple[str, str | None, str], ...]:
    """A template as (literal text, parameter name or None, spec), parsed once."""
    return tuple((literal, name, spec or "")
                 for literal, name, spec, _ in _PARSER.parse(CATALOG[key][lang]))


@cache
def _params(key: str) -> tuple[str, ...]:
    """A message's parameter names, in the order of its English template."""
    names: dict[str, None] = {}
    for _, name, _ in _compiled(key, "en"):
        if name is not None:
            names[name] = None
    return tuple(names)


def placeholders(key: str, lang: str) -> set[tuple[str, str]]:
    """(name, spec) of every placeholder of a template (the catalog's test)."""
    return {(name, spec) for _, name, spec in _compiled(key, lang) if name is not None}


def _as_param(value: object) -> object:
    if isinstance(value, Message):
        return json.loads(value[1:])
    if isinstance(value, str) or value is None:
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_as_param(v if isinstance(v, Message) else msg("quoted", text=str(v)))
                for v in value]
    if hasattr(value, "item"):  # a numpy number
        return _as_param(value.item())
    return str(value)


def _render_code(code: str, lang: Lang) -> str:
    try:
        parts = json.loads(code[1:])
    except ValueError:
        return code
    return _render_parts(parts, lang)


_render_cached = lru_cache(maxsize=4096)(_render_code)


def _render_parts(parts: list, lang: Lang) -> str:
    key, values = parts[0], parts[1:]
    if key not in CATALOG:  # not this version's: its parameters, at least
        return " ".join(map(str, parts))
    params = dict(zip(_params(key), values, strict=False))
    out = []
    for literal, name, spec in _compiled(key, lang):
        out.append(literal)
        if name is not None:
            out.append(_value(params.get(name), spec, lang))
    return "".join(out)


def _value(value: object, spec: str, lang: Lang) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return word(value, lang) if spec == "w" else value
    if isinstance(value, list):
        if value and isinstance(value[0], str):
            return _render_parts(value, lang)
        join = f" {WORDS['or'][lang]} " if spec == "or" else _JOINS.get(spec, ", ")
        return join.join(_value(v, "", lang) for v in value)
    if isinstance(value, (int, float)):
        if spec == "n":
            return number_text(value, lang)
        if spec == "v":
            return number_text(value, lang, grouped=False)
        return str(value)
    return str(value)


def catalog_problems(catalog: Mapping[str, Mapping[str, str]] = CATALOG) -> list[str]:
    """What is wrong with the catalog: a language missing or empty, placeholders that
    differ between languages (the catalog's test)."""
    problems = []
    for key, templates in catalog.items():
        for lang in LANGS:
            if not templates.get(lang, "").strip():
                problems.append(f"{key}: no {lang} template")
        if set(templates) - set(LANGS):
            problems.append(f"{key}: unknown languages {sorted(set(templates) - set(LANGS))}")
        try:
            found = {lang: placeholders(key, lang) for lang in LANGS}
        except (ValueError, KeyError) as exc:
            problems.append(f"{key}: {exc}")
            continue
        if len(set(map(frozenset, found.values()))) > 1:
            problems.append(f"{key}: placeholders differ: {found}")
    return problems
