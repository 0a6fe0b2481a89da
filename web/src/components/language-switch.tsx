/** 中文 / English. */
import { Segmented } from "antd";
import { type Lang, useI18n } from "../i18n/i18n.tsx";

export function LanguageSwitch({ dark = false }: { dark?: boolean }) {
  const { lang, setLang } = useI18n();
  return (
    <Segmented<Lang>
      size="small"
      className={dark ? "lang-switch lang-switch--dark" : "lang-switch"}
      value={lang}
      onChange={setLang}
      options={[
        { value: "zh-CN", label: "中文" },
        { value: "en", label: "English" },
      ]}
    />
  );
}
