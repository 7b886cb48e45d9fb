import { Button } from "@acme/ui/button";
import { orderSchema } from "@acme/validators";

export const dynamic = "force-dynamic";

export default function Page() {
  const sample = orderSchema.parse({ id: "ord_1", quantity: 2 });
  return (
    <main>
      <h1>Acme dashboard</h1>
      <p>Last order: {sample.id}</p>
      <Button>Refresh</Button>
    </main>
  );
}
