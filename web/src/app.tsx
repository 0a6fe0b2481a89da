/** Providers (language, antd theme and locale, session) and the routes. */
import { App as AntApp, ConfigProvider, Spin } from "antd";
import enUSModule from "antd/es/locale/en_US.js";
import type { Locale } from "antd/es/locale/index.js";
import zhCNModule from "antd/es/locale/zh_CN.js";
import dayjs from "dayjs";
import "dayjs/locale/zh-cn.js";
import { useEffect } from "react";
import { BrowserRouter, Navigate, Route, Routes, useParams } from "react-router-dom";
import { AppLayout } from "./components/app-layout.tsx";
import { I18nProvider, useI18n } from "./i18n/i18n.tsx";
import { CadresPage } from "./pages/assistance/cadres.page.tsx";
import { HelperPage } from "./pages/assistance/helper.page.tsx";
import { HouseholdPlanPage } from "./pages/assistance/household-plan.page.tsx";
import { CaseDetailPage } from "./pages/case-detail.page.tsx";
import { CasesPage } from "./pages/cases.page.tsx";
import { DuplicatesPage } from "./pages/duplicates/duplicates.page.tsx";
import { ImportPage } from "./pages/exchange/import.page.tsx";
import { FeedReportPage } from "./pages/feeds/feed-report.page.tsx";
import { FeedsPage } from "./pages/feeds/feeds.page.tsx";
import { HouseholdDetailPage } from "./pages/household-detail.page.tsx";
import { HouseholdListPage } from "./pages/household-list.page.tsx";
import { NoticeBatchesPage } from "./pages/notice-batches.page.tsx";
import { PolicyPage } from "./pages/policy.page.tsx";
import { SignInPage } from "./pages/sign-in.page.tsx";
import { SignalsPage } from "./pages/signals.page.tsx";
import { TokensPage } from "./pages/tokens/tokens.page.tsx";
import { homeOf, SessionProvider, useSession } from "./session/session.tsx";

/**
 * antd's locale files are ES modules to the bundler but CommonJS to TypeScript's NodeNext
 * resolution, which then types the default import as the module object: accept either.
 */
function esDefault<T>(m: unknown): T {
  return ((m as { default?: T }).default ?? m) as T;
}
const enUS = esDefault<Locale>(enUSModule);
const zhCN = esDefault<Locale>(zhCNModule);

/** A government-blue theme, compact enough for long tables. */
const THEME = {
  token: {
    colorPrimary: "#1d5fb4",
    colorInfo: "#1d5fb4",
    borderRadius: 4,
    fontFamily:
      '-apple-system, BlinkMacSystemFont, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", sans-serif',
  },
  components: {
    Layout: {
      headerBg: "#0f3d7a",
      headerHeight: 56,
      headerPadding: "0 20px",
      siderBg: "#ffffff",
      bodyBg: "#f0f2f5",
    },
    Table: { headerBg: "#f3f6fa" },
    Descriptions: { labelBg: "#f7f9fc" },
  },
};

/** A new household number is a new page: no state carried over from the previous household. */
function HouseholdRoute() {
  const { householdNumber = "" } = useParams();
  return <HouseholdDetailPage key={householdNumber} />;
}

/** A new case number is a new page. */
function CaseRoute() {
  const { caseNumber = "" } = useParams();
  return <CaseDetailPage key={caseNumber} />;
}

function Routed() {
  const { user } = useSession();
  if (user === undefined) {
    return (
      <div className="boot">
        <Spin size="large" />
      </div>
    );
  }
  return (
    <Routes>
      <Route path="/login" element={<SignInPage />} />
      <Route element={<AppLayout />}>
        <Route path="/households" element={<HouseholdListPage />} />
        <Route path="/households/:householdNumber" element={<HouseholdRoute />} />
        <Route path="/signals" element={<SignalsPage key="signals" mode="signals" />} />
        <Route path="/verifications" element={<SignalsPage key="tasks" mode="tasks" />} />
        <Route path="/policy" element={<PolicyPage />} />
        <Route path="/imports" element={<ImportPage />} />
        <Route path="/cases" element={<CasesPage />} />
        <Route path="/cases/:caseNumber" element={<CaseRoute />} />
        <Route path="/notice-batches" element={<NoticeBatchesPage />} />
        <Route path="/assist" element={<CadresPage />} />
        <Route path="/assist/mine" element={<HelperPage />} />
        <Route path="/assist/households/:householdNumber" element={<HouseholdPlanPage />} />
        <Route path="/feeds" element={<FeedsPage />} />
        <Route path="/duplicates" element={<DuplicatesPage />} />
        <Route path="/feeds/loads/:id" element={<FeedReportPage />} />
        <Route path="/tokens" element={<TokensPage />} />
      </Route>
      <Route path="*" element={<Navigate to={homeOf(user)} replace />} />
    </Routes>
  );
}

function Themed() {
  const { lang } = useI18n();
  // Before the pickers render: their month and weekday names follow dayjs's locale.
  dayjs.locale(lang === "en" ? "en" : "zh-cn");
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  return (
    <ConfigProvider locale={lang === "en" ? enUS : zhCN} theme={THEME}>
      <AntApp>
        <SessionProvider>
          <BrowserRouter>
            <Routed />
          </BrowserRouter>
        </SessionProvider>
      </AntApp>
    </ConfigProvider>
  );
}

export function Root() {
  return (
    <I18nProvider>
      <Themed />
    </I18nProvider>
  );
}
