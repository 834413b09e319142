"""Texts of `quizkit doctor` in English and Italian: what each check found and what to do about it.

Each key names one finding. `message` texts say what was found; `fix` texts say what to do next.
Placeholders are filled with str.format; the token only ever appears masked ("123456:***").
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "label.token": "Token",
        "label.webhook": "Webhook",
        "label.channel": "Channel",
        "label.public_url": "Public URL",
        "label.database": "Database",
        "label.transport": "Transport",
        "what_to_do": "What to do",
        "skipped.token": "Not checked, because the token check failed.",

        "token.format": "The token {masked} is not shaped like a @BotFather token: the bot id, a colon and "
                        "30 or more letters, digits, _ or -.",
        "token.format.fix": "Copy the token again from @BotFather (/mybots, API Token), without spaces or quotes.",
        "token.rejected": "Telegram rejected the token {masked} ({error}): it was revoked or mistyped.",
        "token.rejected.fix": "Get the current token from @BotFather (/mybots, API Token) and update "
                              "QUIZKIT_BOT_TOKEN or the token file.",
        "api.unreachable": "The Bot API at {url} cannot be reached: {error}.",
        "api.unreachable.fix": "Check this machine's internet connection, DNS, firewall and proxy settings.",
        "api.failed": "The Bot API call {method} failed: {error}.",
        "api.failed.fix": "Run quizkit doctor again in a minute; if it keeps failing, check the Bot API status.",
        "token.ok": "The token of bot @{username} (id {bot_id}) works: getMe succeeded.",

        "webhook.none": "No webhook is set; {pending} updates are waiting for the bot.",
        "webhook.set": "Webhook {url}: {pending} pending updates, max connections {max_connections}, "
                       "custom certificate {certificate}.",
        "webhook.recent_error": "Telegram's last delivery to the webhook failed {age} ago: {error}",
        "webhook.recent_error.fix": "Check that quizkit serve is running, that the reverse proxy forwards {url} to "
                                    "it and that the certificate is valid: from another machine, "
                                    "curl -X POST {url} should answer 403 (no secret token), not time out.",
        "webhook.old_error": " The last delivery error was {age} ago: {error}",
        "yes": "yes",
        "no": "no",

        "channel.none": "No channel is configured, so nothing is posted.",
        "channel.not_found": "Channel {channel} was not found, or the bot is not in it ({error}).",
        "channel.not_found.fix": "Add @{username} to the channel as an administrator (channel info, "
                                 "Administrators, Add Admin) and check the channel id in the event file.",
        "channel.not_admin": "The bot is not an administrator of channel {channel} (status: {member_status}).",
        "channel.not_admin.fix": "Make @{username} an administrator of the channel, with the rights to post "
                                 "messages and edit messages of others.",
        "channel.missing_rights": "The bot is an administrator of channel {channel} but lacks: {rights}.",
        "channel.missing_rights.fix": "In the channel's administrators, give @{username} the rights to post "
                                      "messages and edit messages of others.",
        "channel.ok": "The bot is an administrator of channel {channel} and can post and edit messages.",

        "public_url.polling": "Polling needs no public URL.",
        "public_url.missing": "No public URL is set, so Telegram has nowhere to deliver updates.",
        "public_url.missing.fix": "Pass --public-url https://your.domain (a reverse proxy forwards it to quizkit "
                                  "serve), or use --transport polling.",
        "public_url.invalid": "The public URL {url!r} is not a URL with a host name.",
        "public_url.invalid.fix": "Write it as https://quiz.example.org or https://203.0.113.7:8443.",
        "public_url.not_https": "The public URL {url} uses {scheme}, but Telegram delivers updates only over HTTPS.",
        "public_url.not_https.fix": "Put a reverse proxy with a certificate (Caddy or nginx) in front of quizkit "
                                    "serve, or use --self-signed with the server's IP address.",
        "public_url.port": "The public URL's port {port} is not one Telegram delivers to (443, 80, 88 or 8443).",
        "public_url.port.fix": "Make the webhook reachable on port 443, 80, 88 or 8443, such as "
                               "https://quiz.example.org (port 443).",
        "public_url.self_signed_host": "--self-signed needs an IP address in the public URL, not {host!r}.",
        "public_url.self_signed_host.fix": "For a domain name, drop --self-signed and use a certificate from "
                                           "Let's Encrypt (Caddy gets one by itself).",
        "public_url.secret_invalid": "The secret token is invalid: it must be 1 to 256 characters of A-Z, a-z, "
                                     "0-9, _ and -.",
        "public_url.secret_invalid.fix": "Drop --secret to get a random secret token at each start.",
        "public_url.ok": "Telegram can deliver to {url} (HTTPS, port {port}); the secret token is {secret}.",
        "secret.random": "random at each start",
        "secret.given": "set with --secret",

        "database.none": "No database is configured.",
        "database.folder": "The database folder {folder} does not exist.",
        "database.folder.fix": "Create the folder, or pass another --db.",
        "database.not_writable": "The database {path} cannot be written: {error}.",
        "database.not_writable.fix": "Check the owner and permissions of the file and its folder, and that no "
                                     "other program keeps it locked.",
        "database.disk_full": "Only {free} are free on the disk of {folder}; keep at least {needed} free.",
        "database.disk_full.fix": "Free some disk space, or put the database on another disk with --db.",
        "database.ok": "The database {path} is writable, and {free} are free on its disk.",

        "transport.both": "Polling is chosen but a public URL is configured too.",
        "transport.both.fix": "Drop --public-url to poll, or use --transport webhook.",
        "transport.webhook_set": "Polling is chosen, but Telegram has a webhook set at {url}; getUpdates fails "
                                 "while it stays set.",
        "transport.webhook_set.fix": "If no other server uses that webhook, quizkit serve --transport polling "
                                     "deletes it at start; otherwise stop that server first.",
        "transport.ok.webhook": "Only the webhook is configured, not polling.",
        "transport.ok.polling": "Only polling is configured, not a webhook.",
    },
    "it": {
        "label.token": "Token",
        "label.webhook": "Webhook",
        "label.channel": "Canale",
        "label.public_url": "URL pubblico",
        "label.database": "Database",
        "label.transport": "Trasporto",
        "what_to_do": "Cosa fare",
        "skipped.token": "Non controllato, perché il controllo del token è fallito.",

        "token.format": "Il token {masked} non ha la forma di un token di @BotFather: l'id del bot, due punti "
                        "e almeno 30 tra lettere, cifre, _ o -.",
        "token.format.fix": "Copia di nuovo il token da @BotFather (/mybots, API Token), senza spazi né virgolette.",
        "token.rejected": "Telegram ha rifiutato il token {masked} ({error}): è stato revocato o scritto male.",
        "token.rejected.fix": "Prendi il token attuale da @BotFather (/mybots, API Token) e aggiorna "
                              "QUIZKIT_BOT_TOKEN o il file del token.",
        "api.unreachable": "La Bot API su {url} non è raggiungibile: {error}.",
        "api.unreachable.fix": "Controlla la connessione a internet, il DNS, il firewall e il proxy di questa "
                               "macchina.",
        "api.failed": "La chiamata {method} alla Bot API è fallita: {error}.",
        "api.failed.fix": "Riprova quizkit doctor fra un minuto; se fallisce ancora, controlla lo stato della "
                          "Bot API.",
        "token.ok": "Il token del bot @{username} (id {bot_id}) funziona: getMe è riuscita.",

        "webhook.none": "Nessun webhook impostato; {pending} update aspettano il bot.",
        "webhook.set": "Webhook {url}: {pending} update in attesa, massimo {max_connections} connessioni, "
                       "certificato proprio: {certificate}.",
        "webhook.recent_error": "L'ultima consegna di Telegram al webhook è fallita {age} fa: {error}",
        "webhook.recent_error.fix": "Controlla che quizkit serve sia in esecuzione, che il reverse proxy inoltri "
                                    "{url} a quizkit e che il certificato sia valido: da un'altra macchina, "
                                    "curl -X POST {url} deve rispondere 403 (manca il secret token), non andare "
                                    "in timeout.",
        "webhook.old_error": " L'ultimo errore di consegna risale a {age} fa: {error}",
        "yes": "sì",
        "no": "no",

        "channel.none": "Nessun canale configurato, quindi non viene pubblicato niente.",
        "channel.not_found": "Il canale {channel} non esiste, o il bot non ne fa parte ({error}).",
        "channel.not_found.fix": "Aggiungi @{username} al canale come amministratore (info del canale, "
                                 "Amministratori, Aggiungi amministratore) e controlla l'id del canale nel file "
                                 "dell'evento.",
        "channel.not_admin": "Il bot non è amministratore del canale {channel} (stato: {member_status}).",
        "channel.not_admin.fix": "Rendi @{username} amministratore del canale, con i permessi di pubblicare "
                                 "messaggi e modificare i messaggi altrui.",
        "channel.missing_rights": "Il bot è amministratore del canale {channel} ma gli manca: {rights}.",
        "channel.missing_rights.fix": "Negli amministratori del canale, dai a @{username} i permessi di "
                                      "pubblicare messaggi e modificare i messaggi altrui.",
        "channel.ok": "Il bot è amministratore del canale {channel} e può pubblicare e modificare messaggi.",

        "public_url.polling": "Il polling non ha bisogno di un URL pubblico.",
        "public_url.missing": "Nessun URL pubblico impostato, quindi Telegram non sa dove consegnare gli update.",
        "public_url.missing.fix": "Passa --public-url https://tuo.dominio (un reverse proxy lo inoltra a quizkit "
                                  "serve), oppure usa --transport polling.",
        "public_url.invalid": "L'URL pubblico {url!r} non è un URL con un nome di host.",
        "public_url.invalid.fix": "Scrivilo come https://quiz.example.org o https://203.0.113.7:8443.",
        "public_url.not_https": "L'URL pubblico {url} usa {scheme}, ma Telegram consegna gli update solo in HTTPS.",
        "public_url.not_https.fix": "Metti davanti a quizkit serve un reverse proxy con un certificato (Caddy o "
                                    "nginx), oppure usa --self-signed con l'indirizzo IP del server.",
        "public_url.port": "La porta {port} dell'URL pubblico non è tra quelle a cui Telegram consegna (443, 80, "
                           "88 o 8443).",
        "public_url.port.fix": "Rendi il webhook raggiungibile sulla porta 443, 80, 88 o 8443, per esempio "
                               "https://quiz.example.org (porta 443).",
        "public_url.self_signed_host": "--self-signed richiede un indirizzo IP nell'URL pubblico, non {host!r}.",
        "public_url.self_signed_host.fix": "Con un nome di dominio togli --self-signed e usa un certificato di "
                                           "Let's Encrypt (Caddy lo ottiene da solo).",
        "public_url.secret_invalid": "Il secret token non è valido: deve avere da 1 a 256 caratteri tra A-Z, "
                                     "a-z, 0-9, _ e -.",
        "public_url.secret_invalid.fix": "Togli --secret per avere un secret token casuale a ogni avvio.",
        "public_url.ok": "Telegram può consegnare a {url} (HTTPS, porta {port}); il secret token è {secret}.",
        "secret.random": "casuale a ogni avvio",
        "secret.given": "impostato con --secret",

        "database.none": "Nessun database configurato.",
        "database.folder": "La cartella del database {folder} non esiste.",
        "database.folder.fix": "Crea la cartella, oppure passa un altro --db.",
        "database.not_writable": "Il database {path} non si può scrivere: {error}.",
        "database.not_writable.fix": "Controlla proprietario e permessi del file e della sua cartella, e che "
                                     "nessun altro programma lo tenga bloccato.",
        "database.disk_full": "Sul disco di {folder} restano solo {free} liberi; tienine liberi almeno {needed}.",
        "database.disk_full.fix": "Libera spazio su disco, oppure metti il database su un altro disco con --db.",
        "database.ok": "Il database {path} si può scrivere, e sul suo disco restano {free} liberi.",

        "transport.both": "È scelto il polling, ma è configurato anche un URL pubblico.",
        "transport.both.fix": "Togli --public-url per usare il polling, oppure usa --transport webhook.",
        "transport.webhook_set": "È scelto il polling, ma Telegram ha un webhook impostato su {url}; getUpdates "
                                 "fallisce finché resta impostato.",
        "transport.webhook_set.fix": "Se nessun altro server usa quel webhook, quizkit serve --transport polling "
                                     "lo cancella all'avvio; altrimenti ferma prima quel server.",
        "transport.ok.webhook": "È configurato solo il webhook, non il polling.",
        "transport.ok.polling": "È configurato solo il polling, non un webhook.",
    },
}

RIGHTS = {
    "en": {"can_post_messages": "post messages", "can_edit_messages": "edit messages of others"},
    "it": {"can_post_messages": "pubblicare messaggi", "can_edit_messages": "modificare i messaggi altrui"},
}


def format_age(seconds: float, language: str) -> str:
    """Return a duration such as "45 s", "12 min", "3 h" or "2 days" ("2 giorni" in Italian)."""
    if seconds < 120:
        return f"{int(seconds)} s"
    if seconds < 2 * 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h"
    days = int(seconds // 86400)
    return f"{days} {'giorni' if language == 'it' else 'days'}"


def format_bytes(count: int) -> str:
    """Return a size in MB below 10 GB and in GB above, such as "512 MB" or "37.5 GB"."""
    if count < 10 * 1024**3:
        return f"{count / 1024**2:.0f} MB"
    return f"{count / 1024**3:.1f} GB"
