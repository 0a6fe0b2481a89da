/**
 * The interface language: zh-CN by default, English on request, remembered in the browser.
 * Components read text with `useI18n().t`; field and vocabulary labels with `fieldLang`.
 */
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from "react";
import { en } from "./en.ts";
import { type Messages, zhCN } from "./zh-CN.ts";

export type Lang = "zh-CN" | "en";
/** The key of the `zh`/`en` labels in the field table and vocabularies. */
export type LabelLang = "zh" | "en";

const STORAGE_KEY = "fangpin.lang";
const MESSAGES: Record<Lang, Messages> = { "zh-CN": zhCN, en };

interface I18nValue {
  lang: Lang;
  fieldLang: LabelLang;
  t: Messages;
  setLang(lang: Lang): void;
}

const I18nContext = createContext<I18nValue>({
  lang: "zh-CN",
  fieldLang: "zh",
  t: zhCN,
  setLang: () => {},
});

function initialLang(): Lang {
  try {
    return localStorage.getItem(STORAGE_KEY) === "en" ? "en" : "zh-CN";
  } catch {
    return "zh-CN";
  }
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const setLang = useCallback((next: Lang) => {
    setLangState(next);
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // private mode: the choice lasts for this page only
    }
    document.documentElement.lang = next;
  }, []);
  const value = useMemo<I18nValue>(
    () => ({ lang, fieldLang: lang === "en" ? "en" : "zh", t: MESSAGES[lang], setLang }),
    [lang, setLang],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  return useContext(I18nContext);
}
