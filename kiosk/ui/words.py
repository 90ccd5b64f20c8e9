"""The shopper screen's own words in each language: buttons, state line, greeting, notes.

The screen speaks the language of the shopper's last turn (`Reply.lang`) and goes
back to the store's (`store.language`) for the next shopper. Every phrase is in every
language with the same {fields} (tests/test_ui_shopper.py holds `SCREEN` to that).
The requests the buttons send are written the way a shopper would say them in that
language, so the turn they start is read, answered and logged in that language.
"""

from __future__ import annotations

from kiosk.assistant.phrases import Phrases
from kiosk.text.language import EN, ZH

SCREEN = Phrases(
    "screen",
    {
        "title": {EN: " - shopping help", ZH: " - 购物助手"},
        # What the kiosk does and examples: the same words as its greeting reply.
        "greeting": {
            EN: "Hello, welcome to {store}! {what_i_do}\n{examples}",
            ZH: "您好，欢迎光临{store}！{what_i_do}\n{examples}",
        },
        "placeholder": {
            EN: "Type what you're looking for, then Enter",
            ZH: "输入您要找的东西，然后按回车",
        },
        "talk": {EN: "Talk (F5)", ZH: "说话 (F5)"},
        "call": {EN: "Call staff", ZH: "呼叫店员"},
        "reset": {EN: "Start over", ZH: "重新开始"},
        "ready": {EN: "Ready", ZH: "就绪"},
        "listening": {EN: "Listening...", ZH: "正在听..."},
        "thinking": {EN: "Thinking...", ZH: "正在想..."},
        "speaking": {EN: "Speaking...", ZH: "正在说..."},
        "you": {EN: "You: {text}", ZH: "您：{text}"},
        "calm_error": {
            EN: "Sorry, something went wrong on my side. Please try again, or press Call staff.",
            ZH: "抱歉，我这边出了点问题。请再试一次，或按“呼叫店员”。",
        },
        "no_microphone": {
            EN: "There is no microphone working here, so please type your request.",
            ZH: "这里的麦克风不能用，请输入您要找的东西。",
        },
        "on_the_way": {
            EN: "Someone is on the way to this kiosk.",
            ZH: "店员正在过来。",
        },
        "still_there": {
            EN: "Still there? Touch the screen or type to carry on; "
            "otherwise I'll start over soon.",
            ZH: "您还在吗？请点屏幕或输入文字继续，否则我很快会重新开始。",
        },
        # What the buttons ask, as the shopper would say it.
        "call_request": {EN: "call staff", ZH: "请帮我叫店员"},
        "cheaper": {EN: "Cheaper", ZH: "便宜一点的"},
        "cheaper_request": {EN: "cheaper ones?", ZH: "有没有便宜一点的？"},
        "where": {EN: "Where is it?", ZH: "在哪里？"},
        "where_request": {EN: "where is it?", ZH: "它在哪里？"},
        "compare": {EN: "Compare", ZH: "比较一下"},
        "compare_request": {EN: "compare them", ZH: "比较一下这几个"},
        "goes_with": {EN: "What goes with it?", ZH: "配什么？"},
        "goes_with_request": {EN: "what goes with it?", ZH: "这个配什么好？"},
        # A product card's labels around the catalog's facts.
        "in_stock": {EN: "In stock ({count})", ZH: "有货（{count}）"},
        "out_of_stock": {EN: "Out of stock", ZH: "缺货"},
        "variant_in_stock": {EN: "{label}: {count} in stock", ZH: "{label}：有货 {count}"},
        "variant_out": {EN: "{label}: out of stock", ZH: "{label}：缺货"},
        "aisle": {EN: "Aisle {aisle}", ZH: "{aisle}号通道"},
        "aisle_shelf": {EN: "Aisle {aisle}, shelf {shelf}", ZH: "{aisle}号通道，{shelf}层"},
    },
)
